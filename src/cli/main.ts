import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../observability/logger.js';
import { DuckMeshServer } from '../node/server.js';
import { registerOpsCommands } from '../ops/cli.js';
import { createScramVerifier, formatVerifier } from '../wire/auth/scram.js';

const program = new Command();
program.name('duckmesh').description('DuckMesh: Postgres-wire analytics ingestion and query plane').version('0.1.0');

program
  .command('serve')
  .description('run DuckMesh (pg-wire server, HTTP endpoint, commit worker) on the embedded bus and catalog')
  .option('-c, --config <file>', 'JSON config file (env DUCKMESH_CONFIG)')
  .option('-D, --data-dir <dir>', 'data directory (env DUCKMESH_DATA_DIR; default ./duckmesh-data)')
  .option('-H, --host <addr>', 'listen address (env DUCKMESH_HOST; default 127.0.0.1)')
  .option('-p, --pg-port <port>', 'Postgres wire port (env DUCKMESH_PG_PORT; default 5433, never 5432)')
  .option('--http-port <port>', 'HTTP port for /healthz, /readyz, /metrics (env DUCKMESH_HTTP_PORT; default 8433; 0 = off)')
  .addOption(new Option('--log-level <level>', 'log level (env DUCKMESH_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .option('--bus <url>', "ingest bus: 'embedded' (default), postgres://… or nats://… (env DUCKMESH_BUS)")
  .option('--catalog <url>', "catalog: 'embedded' (default) or postgres://… (env DUCKMESH_CATALOG)")
  .option('--roles <list>', 'comma-separated roles to run: ingest,query,worker (env DUCKMESH_ROLES; default all)')
  .option('--node-id <id>', 'node id for leases and connection names (env DUCKMESH_NODE_ID; default host-pid)')
  .addOption(new Option('--auth <method>', 'authentication (env DUCKMESH_AUTH_METHOD)').choices(['trust', 'scram-sha-256', 'md5', 'password']))
  .option('--tls-cert <file>', 'PEM certificate (chain) for TLS on the pg-wire port (env DUCKMESH_TLS_CERT)')
  .option('--tls-key <file>', 'PEM private key for --tls-cert (env DUCKMESH_TLS_KEY)')
  .addHelpText(
    'after',
    `
Precedence: defaults < config file < DUCKMESH_* environment < flags.
With no configuration DuckMesh listens on 127.0.0.1:5433 with trust authentication and
keeps everything in ./duckmesh-data. Connect with: psql -h 127.0.0.1 -p 5433 -d duckmesh`,
  )
  .action(async (opts: Record<string, string | undefined>) => {
    let config;
    try {
      config = loadConfig({
        file: opts['config'],
        env: process.env,
        flags: {
          dataDir: opts['dataDir'],
          host: opts['host'],
          pgPort: opts['pgPort'],
          httpPort: opts['httpPort'],
          logLevel: opts['logLevel'],
          'auth.method': opts['auth'],
          'tls.cert': opts['tlsCert'],
          'tls.key': opts['tlsKey'],
          bus: opts['bus'],
          catalog: opts['catalog'],
          roles: opts['roles'],
          nodeId: opts['nodeId'],
        },
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`duckmesh: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const log = createLogger(config.logLevel);
    const server = new DuckMeshServer(config, log);
    try {
      await server.start();
    } catch (err) {
      log.fatal({ err }, 'failed to start');
      process.stderr.write(`duckmesh: failed to start: ${(err as Error).message}\n`);
      await server.stop().catch(() => undefined);
      process.exit(1);
    }
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      server
        .stop()
        .then(() => process.exit(0))
        .catch((err) => {
          log.error({ err }, 'error during shutdown');
          process.exit(1);
        });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

program
  .command('hash-password')
  .description('print a SCRAM-SHA-256 verifier for auth.users[].scram')
  .argument('<password>', 'the password')
  .action((password: string) => {
    process.stdout.write(formatVerifier(createScramVerifier(password)) + '\n');
  });

registerOpsCommands(program);

await program.parseAsync(process.argv);
