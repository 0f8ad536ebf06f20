import { describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import { BackendWriter, errorFieldsFrom, type FieldDescription } from '../../src/wire/codec/backend.js';
import { dataRowFields, errorFields, pgDecode, rawFrames } from './helpers.js';

function one(w: BackendWriter) {
  const msgs = pgDecode(w.flush());
  expect(msgs).toHaveLength(1);
  return msgs[0]!;
}

describe('BackendWriter → pg-protocol Parser round trip', () => {
  it('authentication messages', () => {
    const w = new BackendWriter();
    w.authenticationOk();
    w.authenticationCleartextPassword();
    w.authenticationMD5Password(Buffer.from([1, 2, 0xfe, 0xff]));
    w.authenticationSASL(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    w.authenticationSASLContinue('r=abc,s=c2FsdA==,i=4096');
    w.authenticationSASLFinal(Buffer.from('v=c2lnbmF0dXJl'));
    const m = pgDecode(w.flush());
    expect(m.map((x) => x.name)).toEqual([
      'authenticationOk',
      'authenticationCleartextPassword',
      'authenticationMD5Password',
      'authenticationSASL',
      'authenticationSASLContinue',
      'authenticationSASLFinal',
    ]);
    expect(m[0]!.length).toBe(8);
    expect([...m[2]!.salt]).toEqual([1, 2, 0xfe, 0xff]);
    expect(m[3]!.mechanisms).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    expect(m[4]!.data).toBe('r=abc,s=c2FsdA==,i=4096');
    expect(m[5]!.data).toBe('v=c2lnbmF0dXJl');
  });

  it('rejects an MD5 salt that is not 4 bytes, writing nothing', () => {
    const w = new BackendWriter();
    expect(() => w.authenticationMD5Password(Buffer.alloc(3))).toThrow(RangeError);
    expect(w.length).toBe(0);
  });

  it('session status messages', () => {
    const w = new BackendWriter();
    w.parameterStatus('server_version', '16.0 (DuckMesh)');
    w.parameterStatus('application_name', 'naïve ☃');
    w.backendKeyData(4242, -123456789);
    w.readyForQuery('I');
    w.readyForQuery('T');
    w.readyForQuery('E');
    w.notificationResponse(77, 'chan_ñ', 'payload 🦆');
    const m = pgDecode(w.flush());
    expect(m[0]).toMatchObject({ name: 'parameterStatus', parameterName: 'server_version', parameterValue: '16.0 (DuckMesh)' });
    expect(m[1]).toMatchObject({ parameterName: 'application_name', parameterValue: 'naïve ☃' });
    expect(m[2]).toMatchObject({ name: 'backendKeyData', processID: 4242, secretKey: -123456789 });
    expect(m.slice(3, 6).map((x) => x.status)).toEqual(['I', 'T', 'E']);
    expect(m[6]).toMatchObject({ name: 'notification', processId: 77, channel: 'chan_ñ', payload: 'payload 🦆' });
  });

  it('RowDescription with every field attribute', () => {
    const fields: FieldDescription[] = [
      { name: 'id', tableOid: 16384, columnAttr: 1, typeOid: 23, typeLen: 4, typeMod: -1, format: 0 },
      { name: 'größe', tableOid: 0xfffffffe, columnAttr: 0, typeOid: 1043, typeLen: -1, typeMod: 68, format: 1 },
      { name: '', tableOid: 0, columnAttr: -1, typeOid: 0xffffffff, typeLen: -2, typeMod: -1, format: 0 },
    ];
    const w = new BackendWriter();
    w.rowDescription(fields);
    const m = one(w);
    expect(m.name).toBe('rowDescription');
    expect(m.fieldCount).toBe(3);
    expect(m.fields.map((f: any) => [f.name, f.tableID, f.columnID, f.dataTypeID, f.dataTypeSize, f.dataTypeModifier, f.format])).toEqual([
      ['id', 16384, 1, 23, 4, -1, 'text'],
      ['größe', 0xfffffffe, 0, 1043, -1, 68, 'binary'],
      ['', 0, -1, 0xffffffff, -2, -1, 'text'],
    ]);
  });

  it('RowDescription with zero columns', () => {
    const w = new BackendWriter();
    w.rowDescription([]);
    expect(one(w)).toMatchObject({ name: 'rowDescription', fieldCount: 0 });
  });

  it('DataRow with NULLs, empty strings, multi-byte UTF-8 and long values', () => {
    const long = 'x'.repeat(40) + 'é';
    const astral = '🦆 duck 𝄞';
    const w = new BackendWriter();
    w.beginDataRow(7);
    w.fieldString('plain');
    w.fieldNull();
    w.fieldString('');
    w.fieldString('Grüße, 世界');
    w.fieldString(astral);
    w.fieldString(long);
    w.fieldAscii('2024-01-01 00:00:00+00');
    w.endDataRow();
    const m = one(w);
    expect(m.name).toBe('dataRow');
    expect(m.fields).toEqual(['plain', null, '', 'Grüße, 世界', astral, long, '2024-01-01 00:00:00+00']);
  });

  it('DataRow field lengths are exact UTF-8 byte counts', () => {
    const w = new BackendWriter();
    w.beginDataRow(3);
    w.fieldString('€'); // 3 bytes
    w.fieldString('a\u{1F986}'); // 1 + 4 bytes
    w.fieldString('\uD800'); // lone surrogate → U+FFFD, 3 bytes
    w.endDataRow();
    const fields = dataRowFields(rawFrames(w.flush())[0]!.body);
    expect(fields.map((f) => f!.length)).toEqual([3, 5, 3]);
    expect(fields[2]!.equals(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(true);
  });

  it('DataRow with a zero-column row and the dataRow() convenience', () => {
    const w = new BackendWriter();
    w.beginDataRow(0);
    w.endDataRow();
    w.dataRow(['a', null, Buffer.from('raw'), '']);
    const m = pgDecode(w.flush());
    expect(m[0]!.fields).toEqual([]);
    expect(m[1]!.fields).toEqual(['a', null, 'raw', '']);
  });

  it('binary DataRow fields carry exact big-endian bytes', () => {
    const w = new BackendWriter();
    w.beginDataRow(12);
    w.fieldBinaryInt16(-2);
    w.fieldBinaryInt32(-123456789);
    w.fieldBinaryInt64(-1);
    w.fieldBinaryInt64(Number.MAX_SAFE_INTEGER);
    w.fieldBinaryInt64(-9007199254740991);
    w.fieldBinaryInt64(-(2n ** 63n));
    w.fieldBinaryBigInt64(2n ** 63n - 1n);
    w.fieldBinaryFloat32(1.5);
    w.fieldBinaryFloat64(-0.1);
    w.fieldBinaryBool(true);
    w.fieldBytes(new Uint8Array([0, 0xff, 0x80, 0]));
    w.fieldNull();
    w.endDataRow();
    const f = dataRowFields(rawFrames(w.flush())[0]!.body);
    expect(f[0]!.readInt16BE(0)).toBe(-2);
    expect(f[1]!.readInt32BE(0)).toBe(-123456789);
    expect(f[2]!.readBigInt64BE(0)).toBe(-1n);
    expect(f[3]!.readBigInt64BE(0)).toBe(9007199254740991n);
    expect(f[4]!.readBigInt64BE(0)).toBe(-9007199254740991n);
    expect(f[5]!.readBigInt64BE(0)).toBe(-(2n ** 63n));
    expect(f[6]!.readBigInt64BE(0)).toBe(2n ** 63n - 1n);
    expect(f[7]!.readFloatBE(0)).toBe(1.5);
    expect(f[8]!.readDoubleBE(0)).toBe(-0.1);
    expect([...f[9]!]).toEqual([1]);
    expect([...f[10]!]).toEqual([0, 0xff, 0x80, 0]);
    expect(f[11]).toBeNull();
    expect(f.slice(0, 10).map((x) => x!.length)).toEqual([2, 4, 8, 8, 8, 8, 8, 4, 8, 1]);
  });

  it('refuses a non-safe-integer number for int8', () => {
    const w = new BackendWriter();
    w.beginDataRow(1);
    expect(() => w.fieldBinaryInt64(2 ** 60)).toThrow(RangeError);
  });

  it('CommandComplete, EmptyQueryResponse and the empty extended-protocol replies', () => {
    const w = new BackendWriter();
    w.commandComplete('SELECT 3');
    w.commandComplete('INSERT 0 12');
    w.emptyQueryResponse();
    w.parseComplete();
    w.bindComplete();
    w.closeComplete();
    w.noData();
    w.portalSuspended();
    w.copyDone();
    const m = pgDecode(w.flush());
    expect(m.map((x) => x.name)).toEqual([
      'commandComplete',
      'commandComplete',
      'emptyQuery',
      'parseComplete',
      'bindComplete',
      'closeComplete',
      'noData',
      'portalSuspended',
      'copyDone',
    ]);
    expect(m[0]!.text).toBe('SELECT 3');
    expect(m[1]!.text).toBe('INSERT 0 12');
    expect(m.slice(2).every((x) => x.length === 4)).toBe(true);
  });

  it('ParameterDescription with unsigned OIDs', () => {
    const w = new BackendWriter();
    w.parameterDescription([23, 25, 0, 0xffffffff]);
    w.parameterDescription([]);
    const m = pgDecode(w.flush());
    expect(m[0]).toMatchObject({ name: 'parameterDescription', parameterCount: 4, dataTypeIDs: [23, 25, 0, 0xffffffff] });
    expect(m[1]).toMatchObject({ parameterCount: 0, dataTypeIDs: [] });
  });

  it('ErrorResponse with every field, including the non-localized V severity', () => {
    const w = new BackendWriter();
    w.errorResponse({
      severity: 'ERROR',
      code: '42P01',
      message: 'relation "nope" does not exist',
      detail: 'détail',
      hint: 'Check the spelling.',
      position: 15,
      internalPosition: '3',
      internalQuery: 'SELECT 1',
      where: 'PL/pgSQL function f() line 1',
      schema: 'public',
      table: 'nope',
      column: 'c',
      dataType: 'int4',
      constraint: 'nope_pkey',
      file: 'parse_relation.c',
      line: 1392,
      routine: 'parserOpenTable',
    });
    const bytes = w.flush();
    const m = pgDecode(bytes)[0]!;
    expect(m.name).toBe('error');
    expect(m).toMatchObject({
      message: 'relation "nope" does not exist',
      severity: 'ERROR',
      code: '42P01',
      detail: 'détail',
      hint: 'Check the spelling.',
      position: '15',
      internalPosition: '3',
      internalQuery: 'SELECT 1',
      where: 'PL/pgSQL function f() line 1',
      schema: 'public',
      table: 'nope',
      column: 'c',
      dataType: 'int4',
      constraint: 'nope_pkey',
      file: 'parse_relation.c',
      line: '1392',
      routine: 'parserOpenTable',
    });
    const raw = rawFrames(bytes)[0]!;
    expect(raw.type).toBe('E');
    const f = errorFields(raw.body);
    expect(f.S).toBe('ERROR');
    expect(f.V).toBe('ERROR');
    // Postgres order: S V C M first.
    expect(raw.body.subarray(0, 1).toString()).toBe('S');
    expect(Object.keys(f).slice(0, 4)).toEqual(['S', 'V', 'C', 'M']);
  });

  it('NoticeResponse omits absent fields', () => {
    const w = new BackendWriter();
    w.noticeResponse({ severity: 'WARNING', code: '01000', message: 'careful' });
    const bytes = w.flush();
    const m = pgDecode(bytes)[0]!;
    expect(m).toMatchObject({ name: 'notice', message: 'careful', severity: 'WARNING', code: '01000' });
    expect(m.detail).toBeUndefined();
    expect(Object.keys(errorFields(rawFrames(bytes)[0]!.body))).toEqual(['S', 'V', 'C', 'M']);
  });

  it('drops NUL characters from C strings instead of corrupting later fields', () => {
    const w = new BackendWriter();
    w.errorResponse({ severity: 'ERROR', code: '22000', message: 'bad\0value', detail: 'still here' });
    w.commandComplete('SELECT\u00001');
    const m = pgDecode(w.flush());
    expect(m[0]).toMatchObject({ message: 'badvalue', detail: 'still here', code: '22000' });
    expect(m[1]!.text).toBe('SELECT1');
  });

  it('COPY messages', () => {
    const w = new BackendWriter();
    w.copyInResponse(0, [0, 0, 0]);
    w.copyOutResponse(1, [1, 1]);
    w.copyData(Buffer.from('1\tfoo\n'));
    w.copyData(new Uint8Array([0, 1, 2, 255]));
    w.copyDone();
    const m = pgDecode(w.flush());
    expect(m[0]).toMatchObject({ name: 'copyInResponse', binary: false, columnTypes: [0, 0, 0] });
    expect(m[1]).toMatchObject({ name: 'copyOutResponse', binary: true, columnTypes: [1, 1] });
    expect(m[2]!.name).toBe('copyData');
    expect(m[2]!.chunk.toString()).toBe('1\tfoo\n');
    expect([...m[3]!.chunk]).toEqual([0, 1, 2, 255]);
    expect(m[4]!.name).toBe('copyDone');
  });

  it('sslResponse is a single unframed byte', () => {
    const w = new BackendWriter();
    w.sslResponse('N');
    w.sslResponse('S');
    expect([...w.flush()]).toEqual([0x4e, 0x53]);
  });

  it('NegotiateProtocolVersion layout', () => {
    const w = new BackendWriter();
    w.negotiateProtocolVersion(0, ['_pq_.foo', '_pq_.bar']);
    const f = rawFrames(w.flush());
    expect(f[0]!.type).toBe('v');
    const b = f[0]!.body;
    expect(b.readInt32BE(0)).toBe(0);
    expect(b.readInt32BE(4)).toBe(2);
    expect(b.subarray(8).toString()).toBe('_pq_.foo\0_pq_.bar\0');
  });
});

describe('BackendWriter buffering', () => {
  it('flush() returns views that later writes never overwrite', () => {
    const w = new BackendWriter(256);
    const flushed: Buffer[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const tag = `SELECT ${i}`;
      w.commandComplete(tag);
      expected.push(tag);
      if (i % 7 === 0) flushed.push(w.flush());
    }
    flushed.push(w.flush());
    expect(w.length).toBe(0);
    const tags = flushed.flatMap((b) => pgDecode(b).map((m) => m.text));
    expect(tags).toEqual(expected);
  });

  it('grows past the initial capacity for many rows and huge values', () => {
    const w = new BackendWriter();
    const big = 'ü'.repeat(100_000); // above the exact-measure threshold; 200 000 bytes
    w.dataRow([big]);
    for (let i = 0; i < 50_000; i++) {
      w.beginDataRow(2);
      w.fieldAscii(String(i));
      w.fieldString(`row ${i}`);
      w.endDataRow();
    }
    w.commandComplete('SELECT 50001');
    const total = w.length;
    const bytes = w.flush();
    expect(bytes.length).toBe(total);
    const m = pgDecode(bytes);
    expect(m).toHaveLength(50_002);
    expect(m[0]!.fields[0]).toBe(big);
    expect(m[1]!.fields).toEqual(['0', 'row 0']);
    expect(m[50_000]!.fields).toEqual(['49999', 'row 49999']);
    expect(m[50_001]!.text).toBe('SELECT 50001');
  });

  it('an open DataRow is held back by flush() and completed later', () => {
    const w = new BackendWriter();
    w.commandComplete('BEFORE');
    w.beginDataRow(2);
    w.fieldString('half');
    expect(w.inDataRow).toBe(true);
    const first = w.flush();
    expect(pgDecode(first).map((m) => m.name)).toEqual(['commandComplete']);
    w.fieldString('done');
    w.endDataRow();
    const second = w.flush();
    expect(pgDecode(second)[0]!.fields).toEqual(['half', 'done']);
  });

  it('a row abandoned by an exception is discarded by the next message', () => {
    const w = new BackendWriter();
    w.dataRow(['ok']);
    w.beginDataRow(3);
    w.fieldString('partial');
    // ...the value encoder threw here; the server reports the error:
    w.errorResponse({ severity: 'ERROR', code: '22P02', message: 'bad value' });
    w.readyForQuery('I');
    const m = pgDecode(w.flush());
    expect(m.map((x) => x.name)).toEqual(['dataRow', 'error', 'readyForQuery']);
    expect(m[0]!.fields).toEqual(['ok']);
  });

  it('endDataRow() with the wrong number of fields throws and drops the row', () => {
    const w = new BackendWriter();
    w.beginDataRow(2);
    w.fieldString('only one');
    expect(() => w.endDataRow()).toThrow(/declared 2 columns but 1/);
    expect(w.length).toBe(0);
    expect(w.inDataRow).toBe(false);
    expect(() => w.endDataRow()).toThrow(/without beginDataRow/);
  });

  it('abortDataRow() removes a half-written row', () => {
    const w = new BackendWriter();
    w.commandComplete('X');
    const before = w.length;
    w.beginDataRow(1);
    w.fieldString('gone');
    w.abortDataRow();
    expect(w.length).toBe(before);
    expect(pgDecode(w.flush()).map((m) => m.name)).toEqual(['commandComplete']);
  });

  it('rejects more than 32767 columns before writing anything', () => {
    const w = new BackendWriter();
    const err = (() => {
      try {
        w.beginDataRow(40_000);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DuckMeshError);
    expect((err as DuckMeshError).sqlstate).toBe('54011');
    expect(w.length).toBe(0);
  });

  it('flush() on an empty writer returns an empty buffer', () => {
    expect(new BackendWriter().flush().length).toBe(0);
  });
});

describe('errorFieldsFrom', () => {
  it('keeps a DuckMeshError SQLSTATE, severity and extras', () => {
    const f = errorFieldsFrom(new DuckMeshError('42601', 'syntax error at or near "SELEC"', { position: 1, hint: 'h', detail: 'd', severity: 'FATAL' }));
    expect(f).toEqual({ severity: 'FATAL', code: '42601', message: 'syntax error at or near "SELEC"', position: 1, hint: 'h', detail: 'd' });
  });

  it('maps anything else to XX000', () => {
    expect(errorFieldsFrom(new TypeError('boom'))).toEqual({ severity: 'ERROR', code: 'XX000', message: 'boom' });
    expect(errorFieldsFrom('str')).toEqual({ severity: 'ERROR', code: 'XX000', message: 'str' });
  });
});
