// Types for the node-postgres internals the auth tests drive as a real client implementation.
declare module 'pg/lib/crypto/sasl.js' {
  export interface SaslSession {
    mechanism: string;
    clientNonce: string;
    response: string;
    message: string;
  }
  const sasl: {
    startSession(mechanisms: string[], stream?: unknown): SaslSession;
    continueSession(session: SaslSession, password: string, serverData: string, stream?: unknown): Promise<void>;
    finalizeSession(session: SaslSession, serverData: string): void;
  };
  export default sasl;
}

declare module 'pg/lib/crypto/utils.js' {
  const utils: {
    /** The full client response to AuthenticationMD5Password: "md5" + md5(md5(password + user) + salt). */
    postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string>;
  };
  export default utils;
}
