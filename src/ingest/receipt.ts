import { encodeToken } from '../visibility/token.js';

/** What every acknowledged logical write returns (DESIGN §4). */
export interface Receipt {
  token: string;
  firstSeq: number;
  lastSeq: number;
  rows: number;
}

export function makeReceipt(firstSeq: number, entries: number, rows: number): Receipt {
  const lastSeq = firstSeq + entries - 1;
  return { token: encodeToken(lastSeq), firstSeq, lastSeq, rows };
}
