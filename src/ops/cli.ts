import { Option, type Command } from 'commander';
import pino from 'pino';
import { DuckMeshError } from '../common/errors.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openBus, openCatalog, usesEmbeddedStorage } from '../node/backends.js';
import { DataLayout } from '../storage/layout.js';
import { DataDirLock } from '../storage/lock.js';
import { GcWorker } from '../workers/gc-worker.js';
import { connectionFromFlags, formatBackfillReport, parseTableName, runBackfill } from './backfill.js';
import type { BackfillFormat } from './backfill-source.js';
import { runBackup } from './backup.js';
import { formatCheckReport, runCheck } from './check.js';
import { OpsError } from './data-dir.js';
import { createProgress, formatBytes } from './progress.js';
import { runRestore } from './restore.js';
import { formatReplayReport, parseFromSeq, runReplay } from './replay.js';
import { checkWindow, formatDuration, parseDuration, retentionPolicy } from './retention.js';

/**
 * Operator commands: `duckmesh check`, `backup`, `restore`, `gc`, `replay`, `backfill`. Exit status: 0 success / healthy,
 * 1 problems found (check), 2 the command could not run (bad arguments, not a data directory, …).
 */
export function registerOpsCommands(program: Command): void {
  program
    .command('check')
    .description('integrity check: files vs catalog (size, CRC-32, row count), bus vs watermark, orphans; exit 0 healthy, 1 problems')
    .option('-c, --config <file>', 'JSON config file (env DUCKMESH_CONFIG)')
    .option('-D, --data-dir <dir>', 'data directory (env DUCKMESH_DATA_DIR; default ./duckmesh-data)')
    .option('--catalog <url>', "catalog: 'embedded' (default) or postgres://… (env DUCKMESH_CATALOG)")
    .option('--bus <url>', "ingest bus: 'embedded' (default), postgres://… or nats://… (env DUCKMESH_BUS)")
    .option('--json', 'print the report as JSON: {ok, snapshot_id, tables, problems, …}')
    .option('--quick', 'only existence and size (skip re-reading files for checksum and row count)')
    .option('--repair', 'delete orphan files older than the safety window (the only repair that is always safe)')
    .option('--safety-window <duration>', 'orphans younger than this are kept by --repair (default retention.fileSafetyHours, 24h)')
    .option('--force', 'allow a --safety-window shorter than 24h')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText('after', '\nWorks on a running or a stopped data directory; takes no lock and writes nothing unless --repair.')
    .action(async (opts: Record<string, string | boolean | undefined>) =>
      runCommand(async () => {
        const config = configFrom(opts);
        const safetyMs = safetyWindow(config, opts);
        const report = await runCheck(config, {
          deep: !opts['quick'],
          repair: Boolean(opts['repair']),
          safetyMs,
          // A bar on a terminal only: check is often run from scripts, where stderr lines are noise.
          progress: createProgress({ quiet: Boolean(opts['quiet']) || !process.stderr.isTTY }),
        });
        process.stdout.write(opts['json'] ? JSON.stringify(report, null, 2) + '\n' : formatCheckReport(report));
        return report.ok ? 0 : 1;
      }),
    );

  program
    .command('backup')
    .description('consistent online backup of an embedded data directory (catalog, bus, data files) while ingest runs')
    .requiredOption('--to <dir>', 'backup directory (new or empty)')
    .option('-c, --config <file>', 'JSON config file (env DUCKMESH_CONFIG)')
    .option('-D, --data-dir <dir>', 'data directory (env DUCKMESH_DATA_DIR; default ./duckmesh-data)')
    .option('--link', 'hard-link data files instead of copying when on the same filesystem (they are immutable)')
    .option('--json', 'print the manifest summary as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (opts: Record<string, string | boolean | undefined>) =>
      runCommand(async () => {
        const config = configFrom(opts);
        const progress = createProgress({ quiet: Boolean(opts['quiet']) });
        const m = await runBackup(config, String(opts['to']), { link: Boolean(opts['link']), progress });
        const summary = {
          ok: true,
          dir: String(opts['to']),
          snapshot_id: m.snapshot_id,
          watermark: m.watermark,
          bus_head: m.bus_head,
          files: m.totals.files,
          bytes: m.totals.bytes,
          rows: m.totals.rows,
          pause_ms: m.pause_ms,
        };
        process.stdout.write(
          opts['json']
            ? JSON.stringify(summary, null, 2) + '\n'
            : `backup complete: snapshot ${m.snapshot_id ?? '-'} (watermark ${m.watermark}), bus head ${m.bus_head}, ${m.totals.files} files, ${formatBytes(m.totals.bytes)}; manifest ${summary.dir}/manifest.json\n`,
        );
        return 0;
      }),
    );

  program
    .command('restore')
    .description('restore a backup into an empty data directory (verifies the backup first, and checks the result)')
    .requiredOption('--from <dir>', 'backup directory (with manifest.json)')
    .option('-D, --data-dir <dir>', 'data directory to create (must not exist or be empty)')
    .option('--no-check', 'skip the integrity check of the restored directory')
    .option('--json', 'print the result as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (opts: Record<string, string | boolean | undefined>) =>
      runCommand(async () => {
        const config = configFrom(opts);
        const progress = createProgress({ quiet: Boolean(opts['quiet']) });
        const r = await runRestore(String(opts['from']), config.dataDir, { progress });
        let ok = true;
        let problems: unknown[] = [];
        if (opts['check'] !== false) {
          const restored = { ...config, dataDir: r.dataDir, catalog: 'embedded', bus: 'embedded' };
          const report = await runCheck(restored, { deep: true, safetyMs: Number.MAX_SAFE_INTEGER, progress });
          ok = report.ok;
          problems = report.problems;
        }
        const m = r.manifest;
        process.stdout.write(
          opts['json']
            ? JSON.stringify({ ok, data_dir: r.dataDir, snapshot_id: m.snapshot_id, watermark: m.watermark, bus_head: m.bus_head, files: m.totals.files, problems }, null, 2) + '\n'
            : `restored snapshot ${m.snapshot_id ?? '-'} (watermark ${m.watermark}, bus head ${m.bus_head}, ${m.totals.files} files) into ${r.dataDir}` +
                (ok ? '; check: healthy\n' : `; check found ${problems.length} problems: run duckmesh check --data-dir ${r.dataDir}\n`),
        );
        return ok ? 0 : 1;
      }),
    );

  program
    .command('gc')
    .description('run one retention/GC pass now (expire snapshots, delete unreferenced files and orphans, prune the bus and idempotency keys)')
    .option('-c, --config <file>', 'JSON config file (retention.*; env DUCKMESH_CONFIG)')
    .option('-D, --data-dir <dir>', 'data directory (env DUCKMESH_DATA_DIR; default ./duckmesh-data)')
    .option('--catalog <url>', "catalog: 'embedded' (default) or postgres://…")
    .option('--bus <url>', "ingest bus: 'embedded' (default), postgres://… or nats://…")
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nAn embedded data directory must not be in use: `duckmesh serve` runs GC itself (hourly).')
    .action(async (opts: Record<string, string | boolean | undefined>) =>
      runCommand(async () => {
        const config = configFrom(opts);
        const policy = retentionPolicy(config.retention, { longestQueryMs: config.http.queryTimeoutMs });
        const layout = new DataLayout(config.dataDir);
        const lock = usesEmbeddedStorage(config) ? new DataDirLock(layout.lockFile) : null;
        lock?.acquire();
        try {
          const bus = await openBus(config, layout);
          const catalog = await openCatalog(config, layout);
          try {
            const worker = new GcWorker({ catalog, bus, layout, log: pino({ level: 'silent' }), policy, holder: config.nodeId });
            const report = await worker.runOnce();
            if (!report) {
              process.stderr.write('duckmesh: another process is running GC right now\n');
              return 1;
            }
            process.stdout.write(
              opts['json']
                ? JSON.stringify(report, null, 2) + '\n'
                : `gc: expired ${report.expiredSnapshots} snapshots (keeping from ${report.keepFrom ?? '-'}), deleted ${report.deletedFiles} files (${formatBytes(report.deletedBytes)}) and ${report.orphansDeleted} orphans, pruned ${report.busEntriesPruned} bus entries and ${report.idempotencyKeysPruned} idempotency keys\n`,
            );
            return 0;
          } finally {
            await bus.close();
            await catalog.close();
          }
        } finally {
          lock?.release();
        }
      }),
    );

  registerReplayAndBackfill(program);
}

/** `duckmesh replay` and `duckmesh backfill` (issue 7 item 5; see replay.ts and backfill.ts). */
function registerReplayAndBackfill(program: Command): void {
  program
    .command('replay')
    .description('re-materialize tables from the bus from a sequence on: a new snapshot, same watermark, rows < N kept and entries >= N re-applied')
    .requiredOption('--from <seq|token>', 'first bus sequence to re-apply (or a visibility token dm1.…)')
    .option('-t, --table <name>', 'table to replay, as [tenant.]schema.table or table (repeatable)', collect, [] as string[])
    .option('--all', 'replay every table (of --tenant, or of every tenant)')
    .option('--tenant <name>', 'tenant (database) the --table names are in')
    .option('-c, --config <file>', 'JSON config file (env DUCKMESH_CONFIG)')
    .option('-D, --data-dir <dir>', 'data directory (env DUCKMESH_DATA_DIR; default ./duckmesh-data)')
    .option('--catalog <url>', "catalog: 'embedded' (default) or postgres://…")
    .option('--bus <url>', "ingest bus: 'embedded' (default), postgres://… or nats://…")
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      '\nAn embedded data directory must not be in use (stop duckmesh serve; replay takes its lock). With a shared\n' +
        'catalog and bus, replay holds the commit-worker lease: stop the worker role meanwhile. Entries from --from up\n' +
        'to the watermark must still be on the bus. Safe to interrupt: nothing changes until the final publication;\n' +
        'run it again to resume.',
    )
    .action(async (opts: Record<string, unknown>) =>
      runCommand(async () => {
        const config = configFrom(opts as Record<string, string | boolean | undefined>);
        const report = await runReplay(config, {
          fromSeq: parseFromSeq(String(opts['from'])),
          tables: opts['table'] as string[],
          all: Boolean(opts['all']),
          ...(typeof opts['tenant'] === 'string' ? { tenant: opts['tenant'] } : {}),
          progress: createProgress({ quiet: Boolean(opts['quiet']) }),
        });
        process.stdout.write(opts['json'] ? JSON.stringify(report, null, 2) + '\n' : formatReplayReport(report));
        return 0;
      }),
    );

  program
    .command('backfill')
    .description('bulk-load Parquet, CSV or NDJSON files into a table of a running DuckMesh as one idempotent write (pg-wire client)')
    .argument('<files...>', 'input files or globs (format from the extension: .parquet, .csv/.tsv, .ndjson/.jsonl/.json)')
    .requiredOption('-t, --table <name>', 'target table, [schema.]table')
    .option('--url <url>', 'postgres://user:password@host:port/database of DuckMesh (else the flags below, PG* env)')
    .option('-H, --host <host>', 'DuckMesh host (env PGHOST; default 127.0.0.1)')
    .option('-p, --port <port>', 'DuckMesh pg-wire port (env PGPORT; default 5433)')
    .option('-U, --user <user>', 'user (env PGUSER); the password comes from PGPASSWORD or --url')
    .option('-d, --database <name>', 'database = tenant (env PGDATABASE; default duckmesh)')
    .addOption(new Option('--format <format>', 'input format for every file (default: from the extension)').choices(['parquet', 'csv', 'ndjson']))
    .option('--idempotency-key <key>', 'key of this backfill (default: derived from the database, table and the files\' paths, sizes and mtimes)')
    .option('--part-rows <n>', 'rows per part; larger inputs become several writes, one key each (default 1000000)')
    .option('--allow-missing-columns', 'table columns the files lack take their defaults')
    .option('--ignore-extra-columns', 'file columns the table lacks are dropped')
    .option('--delimiter <char>', 'CSV field delimiter (default: detected)')
    .option('--no-header', 'CSV files have no header line (columns map by position)')
    .option('--wait', 'wait until the backfill is visible in a snapshot')
    .option('--wait-timeout <duration>', 'bound of --wait (default 60s)')
    .option('--json', 'print the receipt as JSON')
    .option('-q, --quiet', 'no progress on stderr')
    .addHelpText(
      'after',
      '\nRows are validated (all files, every row) before anything is sent; a bad row is reported with file, row and\n' +
        'column and nothing is written. Interrupted? Run the same command again: parts already written are answered\n' +
        'with their original receipts by the idempotency key (within retention.idempotencyKeyHours, default 24 h).',
    )
    .action(async (files: string[], opts: Record<string, unknown>) =>
      runCommand(async () => {
        const str = (k: string) => (typeof opts[k] === 'string' ? (opts[k] as string) : undefined);
        parseTableName(String(opts['table']));
        const partRows = str('partRows');
        if (partRows !== undefined && !/^\d+$/.test(partRows)) throw new OpsError(`--part-rows must be a positive integer, got ${JSON.stringify(partRows)}`);
        const waitTimeout = str('waitTimeout');
        const report = await runBackfill({
          files,
          table: String(opts['table']),
          connection: connectionFromFlags({ url: str('url'), host: str('host'), port: str('port'), user: str('user'), database: str('database') }),
          ...(str('format') ? { format: str('format') as BackfillFormat } : {}),
          csv: { header: opts['header'] !== false, ...(str('delimiter') !== undefined ? { delimiter: str('delimiter') } : {}) },
          ...(str('idempotencyKey') !== undefined ? { idempotencyKey: str('idempotencyKey') } : {}),
          ...(partRows !== undefined ? { partRows: Number(partRows) } : {}),
          allowMissingColumns: Boolean(opts['allowMissingColumns']),
          ignoreExtraColumns: Boolean(opts['ignoreExtraColumns']),
          wait: Boolean(opts['wait']),
          ...(waitTimeout !== undefined ? { waitTimeoutMs: parseDuration(waitTimeout) } : {}),
          progress: createProgress({ quiet: Boolean(opts['quiet']) }),
        });
        process.stdout.write(opts['json'] ? JSON.stringify(report, null, 2) + '\n' : formatBackfillReport(report));
        return 0;
      }),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function configFrom(opts: Record<string, string | boolean | undefined>): Config {
  return loadConfig({
    file: opts['config'] as string | undefined,
    env: process.env,
    flags: {
      dataDir: opts['dataDir'],
      catalog: opts['catalog'],
      bus: opts['bus'],
      ...(opts['force'] ? { 'retention.force': true } : {}),
    },
  });
}

/** The orphan safety window of `check --repair`: the flag, else the configured file safety window. */
function safetyWindow(config: Config, opts: Record<string, string | boolean | undefined>): number {
  const flag = opts['safetyWindow'];
  const ms = typeof flag === 'string' ? parseDuration(flag) : config.retention.fileSafetyHours * 3_600_000;
  checkWindow('--safety-window', ms, Boolean(opts['force']) || config.retention.force);
  if (ms < config.http.queryTimeoutMs) {
    throw new OpsError(`--safety-window ${formatDuration(ms)} is shorter than the longest allowed query (${formatDuration(config.http.queryTimeoutMs)})`);
  }
  return ms;
}

async function runCommand(fn: () => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await fn();
  } catch (err) {
    // Operator-facing failures (OpsError, ConfigError, DuckMeshError such as "data directory is in
    // use") print their message; DUCKMESH_DEBUG=1 adds the stack.
    const e = err as Error;
    const expected = err instanceof OpsError || err instanceof ConfigError || err instanceof DuckMeshError;
    process.stderr.write(`duckmesh: ${process.env['DUCKMESH_DEBUG'] === '1' || !expected ? (e.stack ?? String(err)) : e.message}\n`);
    code = 2;
  }
  process.exitCode = code;
}
