// A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on a free
// loopback port, storing blobs in a scratch folder. Tests skip loudly if it is not installed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { firstFreePort, waitForPort } from '../../scripts/lib/ports.js';

export const DOCKER_REGISTRY_BIN = process.env.DOCKER_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export function dockerRegistryAvailable(): boolean {
  return existsSync(DOCKER_REGISTRY_BIN);
}

export interface RunningRegistry {
  url: string;
  host: string;
  stop(): Promise<void>;
}

export async function startDockerRegistry(dir: string): Promise<RunningRegistry> {
  mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const port = await firstFreePort(25000);
  const debugPort = await firstFreePort(port + 1);
  const config = [
    'version: 0.1',
    'log: { level: error, accesslog: { disabled: true } }',
    'storage:',
    `  filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'storage'))} }`,
    '  delete: { enabled: true }',
    '  cache: { blobdescriptor: inmemory }',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  debug: { addr: 127.0.0.1:${debugPort} }`,
  ].join('\n');
  const configPath = path.join(dir, 'config.yml');
  writeFileSync(configPath, `${config}\n`);
  const child = spawn(DOCKER_REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await Promise.race([waitForPort(port, '127.0.0.1', 20_000), exited.then(() => Promise.reject(new Error(`docker-registry exited: ${stderr}`)))]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
