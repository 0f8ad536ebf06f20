/**
 * psql's own meta-commands against a running DuckMesh server: the catalog shim end to end
 * (session routing, rewrite, shim build, wire encoding). Skipped where psql is not installed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';

const hasPsql = spawnSync('psql', ['--version']).status === 0;
const run = promisify(execFile);
let srv: Awaited<ReturnType<typeof startServer>>;

async function psql(...commands: string[]): Promise<string> {
  const args = ['-X', '-h', '127.0.0.1', '-p', String(srv.port), '-U', 'tester', '-d', 'duckmesh', '-v', 'ON_ERROR_STOP=1'];
  for (const c of commands) args.push('-c', c);
  const { stdout } = await run('psql', args, { encoding: 'utf8', env: { ...process.env, PGCONNECT_TIMEOUT: '5' } });
  return stdout;
}

describe.runIf(hasPsql)('psql meta-commands', () => {
  beforeAll(async () => {
    srv = await startServer();
    await psql(
      'CREATE TABLE pets (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, born DATE, weight NUMERIC(6,2), tags TEXT[])',
      `INSERT INTO pets VALUES (1, 'Rex', '2020-02-29', 12.5, ARRAY['good'])`,
    );
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('\\dt, \\dn, \\l and \\d pets print the tenant catalog', async () => {
    const out = await psql('\\dt', '\\dn', '\\l', '\\d pets');
    expect(out).toMatch(/public \| pets \| table \| tester/);
    expect(out).toMatch(/public \| tester/);
    expect(out).toMatch(/duckmesh \| tester \| UTF8/);
    expect(out).toMatch(/Table "public\.pets"/);
    expect(out).toMatch(/ id +\| integer +\| +\| not null/);
    expect(out).toMatch(/ name +\| character varying\(40\) +\| +\| not null/);
    expect(out).toMatch(/ weight +\| numeric\(6,2\)/);
    expect(out).toMatch(/ tags +\| text\[\]/);
    expect(out).toMatch(/"pets_pkey" PRIMARY KEY, btree \(id\)/);
  });

  it('\\d+, \\di, \\df, \\dv, \\dT and \\dS run', async () => {
    const out = await psql('\\d+ pets', '\\di', '\\df', '\\dv', '\\dT', '\\dS pg_namespace');
    expect(out).toMatch(/public \| pets_pkey \| index \| tester \| pets/);
    expect(out).toMatch(/Access method: heap/);
    expect(out).toMatch(/nspname +\| name/);
  });

  it('COMMENT ON and CREATE INDEX show in \\dt+, \\d+ and \\di (from the stored catalog objects)', async () => {
    await psql(
      // later psql sessions read the newest snapshot: wait until these writes are in it
      'SET duckmesh.wait_for_visibility = on',
      `COMMENT ON TABLE pets IS 'all the pets'`,
      `COMMENT ON COLUMN pets.born IS 'date of birth'`,
      'CREATE INDEX pets_name_born ON pets (name, born DESC)',
    );
    const dt = await psql('\\dt+ pets');
    expect(dt).toMatch(/public \| pets \| table \| tester \| permanent +\| heap +\| [^|]+\| all the pets/);
    const d = await psql('\\d+ pets');
    expect(d).toMatch(/ born +\| date +\|[^\n]*\| date of birth/);
    expect(d).toMatch(/"pets_name_born" btree \(name, born DESC\)/);
    expect(d).toMatch(/"pets_pkey" PRIMARY KEY, btree \(id\)/);
    const di = await psql('\\di');
    expect(di).toMatch(/public \| pets_name_born \| index \| tester \| pets/);
  });

  it('CREATE VIEW / COMMENT ON VIEW show in \\dv, \\dv+, \\d and \\d+ (definition, comment), as in Postgres 15', async () => {
    await psql(
      'SET duckmesh.wait_for_visibility = on',
      'CREATE VIEW heavy_pets AS SELECT id, name, weight FROM pets WHERE weight > 10',
      `COMMENT ON VIEW heavy_pets IS 'pets over 10 kg'`,
    );
    const dv = await psql('\\dv');
    expect(dv).toMatch(/ public \| heavy_pets \| view \| tester\n/);
    const dvPlus = await psql('\\dv+');
    expect(dvPlus).toMatch(/ public \| heavy_pets \| view \| tester \| permanent +\| 0 bytes \| pets over 10 kg\n/);
    const d = await psql('\\d+ heavy_pets');
    expect(d).toMatch(/View "public\.heavy_pets"/);
    expect(d).toMatch(/ id +\| integer +\| +\| +\| +\| plain +\|/);
    expect(d).toMatch(/ name +\| character varying\(40\) +\| +\| +\| +\| extended +\|/);
    expect(d).toMatch(/ weight +\| numeric\(6,2\) +\| +\| +\| +\| main +\|/);
    expect(d).toContain("View definition:\n SELECT id,\n    name,\n    weight\n   FROM pets\n  WHERE weight > 10;\n");
    const rows = await psql('SELECT id, name FROM heavy_pets');
    expect(rows).toMatch(/ 1 \| Rex\n/);
  });

  it('extended protocol: a bound name cast to regclass, information_schema with parameters', async () => {
    const c = await connect(srv.port);
    try {
      const a = await c.query('SELECT relname, relkind FROM pg_catalog.pg_class WHERE oid = $1::regclass', ['public.pets']);
      expect(a.rows).toEqual([{ relname: 'pets', relkind: 'r' }]);
      const b = await c.query(
        'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
        ['public', 'pets'],
      );
      expect(b.rows.map((r) => r.data_type)).toEqual(['integer', 'character varying', 'date', 'numeric', 'ARRAY']);
    } finally {
      await c.end();
    }
  });

  it('unknown catalog functions fail with 42883', async () => {
    await expect(psql('\\set VERBOSITY verbose', 'SELECT pg_catalog.pg_no_such_function()')).rejects.toThrow(/42883.*pg_no_such_function/s);
  });
});
