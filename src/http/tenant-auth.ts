import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import { createScramVerifier, parseVerifier, verifyScramPlainPassword, type ScramVerifier } from '../wire/auth/scram.js';
import { HttpError } from './http-error.js';

export interface HttpPrincipal {
  user: string;
  tenant: string;
}

/**
 * Resolves the tenant of an HTTP request from its credentials (DESIGN §3: tenant from
 * credentials). With `trust` auth (loopback only) the tenant comes from the `X-DuckMesh-Tenant`
 * header or the default tenant; otherwise HTTP Basic credentials are checked against the same
 * SCRAM verifiers as pg-wire logins, and a tenant-bound user may only address its own tenant.
 */
export class HttpAuthenticator {
  private readonly users = new Map<string, { verifier: ScramVerifier; tenant?: string }>();

  constructor(private readonly config: Config) {
    for (const u of config.auth.users) {
      // Users configured with a plaintext password (md5/password methods) get a derived verifier.
      const v = u.scram !== undefined ? parseVerifier(u.scram) : u.password && !u.password.startsWith('md5') ? createScramVerifier(u.password) : null;
      if (v) this.users.set(u.name, { verifier: v, tenant: u.tenant });
    }
  }

  authenticate(req: FastifyRequest): HttpPrincipal {
    const requested = headerValue(req, 'x-duckmesh-tenant');
    if (this.config.auth.method === 'trust') {
      const tenant = requested ?? this.config.defaultTenant;
      return { user: 'http', tenant };
    }
    const auth = headerValue(req, 'authorization');
    const m = auth ? /^Basic\s+(.+)$/i.exec(auth) : null;
    if (!m) throw new HttpError(401, 'authentication required', '28000', { 'WWW-Authenticate': 'Basic realm="duckmesh"' });
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    const entry = this.users.get(name);
    if (!entry || !verifyScramPlainPassword(entry.verifier, password)) {
      throw new HttpError(401, `password authentication failed for user "${name}"`, '28P01', { 'WWW-Authenticate': 'Basic realm="duckmesh"' });
    }
    const tenant = requested ?? entry.tenant ?? this.config.defaultTenant;
    if (entry.tenant !== undefined && entry.tenant !== tenant) {
      throw new HttpError(403, `user "${name}" may not access tenant "${tenant}"`, '42501');
    }
    return { user: name, tenant };
  }
}

function headerValue(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
