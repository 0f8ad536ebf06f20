/**
 * libpg-query reports locations (stmt_location, node `location`, scanner tokens) as UTF-8 byte
 * offsets, JS strings index UTF-16 code units, and Postgres error positions count characters
 * (code points). This maps between the three for one source string.
 */

const NON_ASCII = /[^\x00-\x7f]/;

export class OffsetMapper {
  private readonly ascii: boolean;
  // Forward-only cursor: callers mostly ask in increasing order, so a full scan happens once.
  private byte = 0;
  private unit = 0;
  private chars = 0;

  constructor(readonly source: string) {
    this.ascii = !NON_ASCII.test(source);
  }

  /** UTF-16 index of the code unit starting at `byteOffset` (clamped to the string). */
  index(byteOffset: number): number {
    if (this.ascii) return clamp(byteOffset, this.source.length);
    this.seek(byteOffset);
    return this.unit;
  }

  /** 1-based character (code point) position of `byteOffset`, as Postgres reports it. */
  position(byteOffset: number): number {
    if (this.ascii) return clamp(byteOffset, this.source.length) + 1;
    this.seek(byteOffset);
    return this.chars + 1;
  }

  private seek(target: number): void {
    if (target < this.byte) {
      this.byte = 0;
      this.unit = 0;
      this.chars = 0;
    }
    const s = this.source;
    while (this.byte < target && this.unit < s.length) {
      const cp = s.codePointAt(this.unit)!;
      this.byte += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      this.unit += cp >= 0x10000 ? 2 : 1;
      this.chars += 1;
    }
  }
}

function clamp(n: number, max: number): number {
  return n < 0 ? 0 : n > max ? max : n;
}
