// A private PostgreSQL cluster in a project data folder, on the first free port from 54329 up.
// Used by the dev stack (data kept between runs) and by the tests (a throwaway cluster).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { firstFreePort, waitForPort } from './ports.js';
import { postgresBinDir } from './tools.js';

export interface PostgresCluster {
  url: string;
  /** URL of the `postgres` maintenance database, for CREATE/DROP DATABASE. */
  adminUrl: string;
  port: number;
  dataDir: string;
  stop(): void;
}

export interface StartPostgresOptions {
  dataDir: string;
  database?: string;
  firstPort?: number;
  /** Keep nothing on disk between runs (tests): fsync off for speed. */
  ephemeral?: boolean;
}

const USER = 'deploy_engine';

export async function startPostgres({
  dataDir,
  database = 'deploy_engine',
  firstPort = 54329,
  ephemeral = false,
}: StartPostgresOptions): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const pgData = path.resolve(dataDir);
  // initdb and the server refuse to run as root: run them as the `postgres` user if we are root.
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const run = (cmd: string, args: string[]) => {
    const full = [...asUser, path.join(bin, cmd), ...args];
    const result = spawnSync(full[0]!, full.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${cmd} failed: ${result.stderr || result.stdout}`);
    return result.stdout;
  };

  if (!existsSync(path.join(pgData, 'PG_VERSION'))) {
    mkdirSync(pgData, { recursive: true });
    if (asUser.length) execFileSync('chown', ['-R', 'postgres:postgres', pgData]);
    run('initdb', ['-D', pgData, '-U', USER, '--auth=trust', '--encoding=UTF8', '--no-locale']);
  }
  const pidFile = path.join(pgData, 'postmaster.pid');
  const alive = existsSync(pidFile) && spawnSync(...pgCtl(asUser, bin, ['status', '-D', pgData])).status === 0;
  let port: number;
  if (alive) {
    port = Number(readFileSync(pidFile, 'utf8').split('\n')[3]);
  } else {
    port = await firstFreePort(firstPort);
    const options = [`-p ${port}`, `-k ${pgData}`, '-c listen_addresses=127.0.0.1', '-c max_connections=200'];
    if (ephemeral) options.push('-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off');
    run('pg_ctl', ['start', '-D', pgData, '-w', '-t', '60', '-l', path.join(pgData, 'server.log'), '-o', options.join(' ')]);
  }
  await waitForPort(port);
  const base = `postgresql://${USER}@127.0.0.1:${port}`;
  const adminUrl = `${base}/postgres`;
  const createdFile = path.join(pgData, `.created-${database}`);
  if (!existsSync(createdFile)) {
    const exists = spawnSync('psql', [adminUrl, '-tAc', `SELECT 1 FROM pg_database WHERE datname='${database}'`], { encoding: 'utf8' }).stdout.trim() === '1';
    if (!exists) execFileSync('psql', [adminUrl, '-qc', `CREATE DATABASE "${database}"`]);
    writeFileSync(createdFile, '');
  }
  return {
    url: `${base}/${database}`,
    adminUrl,
    port,
    dataDir: pgData,
    stop: () => {
      spawnSync(...pgCtl(asUser, bin, ['stop', '-D', pgData, '-m', 'fast', '-w']));
    },
  };
}

function pgCtl(asUser: string[], bin: string, args: string[]): [string, string[], { encoding: 'utf8' }] {
  const full = [...asUser, path.join(bin, 'pg_ctl'), ...args];
  return [full[0]!, full.slice(1), { encoding: 'utf8' }];
}
