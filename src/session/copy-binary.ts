/**
 * COPY's binary format: an 11-byte signature, flags and an extension area, then per row an int16
 * field count and length-prefixed fields in each type's *_send format, and an int16 -1 trailer.
 *
 * Input fields become Postgres text input (what RowValidator validates): the Bind-parameter
 * decoders do that for scalars; bytea and arrays are spelled here in Postgres' own text syntax.
 */
import { DuckMeshError } from '../common/errors.js';
import { elementOidOf, Oid } from '../types/oids.js';
import { decodeParam } from '../types/params.js';
import { badCopyData, CopyFieldError, type CopyDecoder, type FieldValue, type RowHandler } from './copy-records.js';

export const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = BINARY_SIGNATURE.length + 8;

function badBinary(message = 'incorrect binary data format'): DuckMeshError {
  return new DuckMeshError('22P03', message);
}

/** A binary field as Postgres text input for a column of type `oid`. */
export function binaryFieldText(oid: number, data: Buffer): string {
  if (oid === Oid.bytea) return '\\x' + data.toString('hex');
  if (elementOidOf(oid) !== 0) return arrayText(elementOidOf(oid), data);
  return decodeParam(oid, 1, data);
}

function quoteElement(s: string): string {
  if (s !== '' && !/[{}",\\\s]/.test(s) && s.toUpperCase() !== 'NULL') return s;
  return '"' + s.replace(/["\\]/g, '\\$&') + '"';
}

/** array_recv, spelled as an array literal `{...}` (nested braces for several dimensions). */
function arrayText(elemOid: number, data: Buffer): string {
  if (data.length < 12) throw badBinary();
  const ndim = data.readInt32BE(0);
  const sentElem = data.readUInt32BE(8);
  if (ndim < 0 || ndim > 6) throw badBinary(`invalid number of dimensions: ${ndim}`);
  if (sentElem !== elemOid) throw new DuckMeshError('42804', `wrong element type: ${sentElem}, expected ${elemOid}`);
  let pos = 12;
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) {
    if (pos + 8 > data.length) throw badBinary();
    dims.push(data.readInt32BE(pos));
    pos += 8;
  }
  if (ndim === 0 || dims.includes(0)) return '{}';
  const element = (): string => {
    if (pos + 4 > data.length) throw badBinary();
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len === -1) return 'NULL';
    if (len < 0 || pos + len > data.length) throw badBinary();
    const v = binaryFieldText(elemOid, data.subarray(pos, pos + len));
    pos += len;
    return quoteElement(v);
  };
  const level = (d: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < dims[d]!; i++) parts.push(d === dims.length - 1 ? element() : level(d + 1));
    return '{' + parts.join(',') + '}';
  };
  const out = level(0);
  if (pos !== data.length) throw badBinary();
  return out;
}

/** Parses rows as they arrive; only an incomplete row is kept between CopyData messages. */
export class BinaryCopyDecoder implements CopyDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private headerDone = false;
  private trailerSeen = false;
  line = 0;

  constructor(
    private readonly oids: number[],
    private readonly onRow: RowHandler,
  ) {}

  push(data: Buffer): void {
    if (this.trailerSeen) return;
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    let pos = 0;
    if (!this.headerDone) {
      const used = this.header(this.pending);
      if (used < 0) {
        this.pending = Buffer.from(this.pending);
        return;
      }
      pos = used;
      this.headerDone = true;
    }
    while (!this.trailerSeen) {
      const used = this.tuple(this.pending, pos);
      if (used < 0) break;
      pos = used;
    }
    // Keep only the unfinished row, in memory of its own.
    this.pending = this.trailerSeen ? Buffer.alloc(0) : Buffer.from(this.pending.subarray(pos));
  }

  end(): void {
    if (!this.headerDone) throw badCopyData('COPY file signature not recognized');
    if (!this.trailerSeen && this.pending.length > 0) throw badCopyData('unexpected EOF in COPY data');
  }

  /** Returns the offset after the header, or -1 if it is not complete yet. */
  private header(b: Buffer): number {
    const sigLen = Math.min(b.length, BINARY_SIGNATURE.length);
    if (!b.subarray(0, sigLen).equals(BINARY_SIGNATURE.subarray(0, sigLen))) throw badCopyData('COPY file signature not recognized');
    if (b.length < HEADER_FIXED) return -1;
    const flags = b.readUInt32BE(BINARY_SIGNATURE.length);
    if ((flags & 0x10000) !== 0) throw badCopyData('COPY file with OIDs is not supported');
    if ((flags & 0xfffe0000) !== 0) throw badCopyData('unrecognized critical flags in COPY file header');
    const extLen = b.readInt32BE(BINARY_SIGNATURE.length + 4);
    if (extLen < 0) throw badCopyData('invalid COPY file header (wrong length)');
    return b.length < HEADER_FIXED + extLen ? -1 : HEADER_FIXED + extLen;
  }

  /** Parses one row at `pos`; returns the offset after it, or -1 if it is incomplete. */
  private tuple(b: Buffer, pos: number): number {
    if (b.length - pos < 2) return -1;
    const count = b.readInt16BE(pos);
    if (count === -1) {
      this.trailerSeen = true;
      return pos + 2;
    }
    let p = pos + 2;
    const raw: (Buffer | null)[] = new Array(Math.max(count, 0));
    for (let i = 0; i < count; i++) {
      if (b.length - p < 4) return -1;
      const len = b.readInt32BE(p);
      p += 4;
      if (len === -1) {
        raw[i] = null;
        continue;
      }
      if (len < 0) throw badBinary('invalid field size');
      if (b.length - p < len) return -1;
      raw[i] = b.subarray(p, p + len);
      p += len;
    }
    this.line++;
    if (count !== this.oids.length) throw badCopyData(`row field count is ${count}, expected ${this.oids.length}`);
    const fields: FieldValue[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const r = raw[i]!;
      if (r === null) {
        fields[i] = null;
        continue;
      }
      try {
        fields[i] = binaryFieldText(this.oids[i]!, r);
      } catch (err) {
        throw new CopyFieldError(err, i, null);
      }
    }
    this.onRow(fields, this.line, () => '');
    return p;
  }
}
