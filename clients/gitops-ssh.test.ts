// The GitOps repository over ssh, as a real platform serves it (`git@host:` / `ssh://`): a real
// OpenSSH server on loopback (Debian's openssh-server, installed by scripts/setup.sh) with a
// host key the client pins in known_hosts and one authorized key. No ssh agent, no ~/.ssh.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstFreePort, waitForPort } from '../scripts/lib/ports.js';
import { GitOpsRepo, gitOpsSshCommand } from './gitops-repo.js';

const SSHD = '/usr/sbin/sshd';
const base = mkdtempSync(path.join(os.tmpdir(), 'gitops-ssh-test-'));
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_') && key !== 'SSH_AUTH_SOCK'));
const run = (cmd: string, args: string[], cwd = base) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const keygen = (file: string) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', path.basename(file), '-f', file]);

let sshd: ChildProcess;
let port: number;
let remote: string;
let knownHosts: string;
const clientKey = path.join(base, 'id_ed25519');

beforeAll(async () => {
  expect(existsSync(SSHD), `${SSHD} is missing: run scripts/setup.sh (it installs openssh-server)`).toBe(true);
  keygen(path.join(base, 'host_key'));
  keygen(clientKey);
  keygen(path.join(base, 'other_host_key'));
  writeFileSync(path.join(base, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  port = await firstFreePort(22_022);
  writeFileSync(
    path.join(base, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(base, 'host_key')}`,
      `AuthorizedKeysFile ${path.join(base, 'authorized_keys')}`,
      `PidFile ${path.join(base, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'LogLevel ERROR',
    ].join('\n') + '\n',
  );
  // sshd refuses to start without its privilege separation directory.
  mkdirSync('/run/sshd', { recursive: true });
  sshd = spawn(SSHD, ['-D', '-e', '-f', path.join(base, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForPort(port, '127.0.0.1', 15_000);

  knownHosts = path.join(base, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${readFileSync(path.join(base, 'host_key.pub'), 'utf8')}`);
  const bare = path.join(base, 'gitops.git');
  run('git', ['init', '-q', '--bare', '--initial-branch=main', bare]);
  const seed = path.join(base, 'seed');
  run('git', ['init', '-q', '--initial-branch=main', seed]);
  writeFileSync(path.join(seed, 'README.md'), '# GitOps\n');
  run('git', ['add', '.'], seed);
  run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'init'], seed);
  run('git', ['push', '-q', bare, 'main'], seed);
  remote = `ssh://${os.userInfo().username}@127.0.0.1:${port}${bare}`;
}, 60_000);

afterAll(() => {
  sshd?.kill('SIGTERM');
  rmSync(base, { recursive: true, force: true });
});

const repoWith = (name: string, ssh: { keyFile: string; knownHostsFile: string }) =>
  new GitOpsRepo({
    url: remote,
    branch: 'main',
    workDir: path.join(base, name),
    author: { name: 'deploy-engine', email: 'deploy-engine@localhost' },
    ssh,
    push: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  });

describe('GitOps repository over ssh', () => {
  it('clones and pushes with the configured key, checking the pinned host key', async () => {
    const repo = repoWith('work-ok', { keyFile: clientKey, knownHostsFile: knownHosts });
    const { sha, created } = await repo.commitFiles({ path: 'bootstrap', files: { 'hello.yaml': 'hello: ssh\n' }, message: 'over ssh' });
    expect(created).toBe(true);
    expect(run('git', ['--git-dir', path.join(base, 'gitops.git'), 'rev-parse', 'main'])).toBe(sha);
  });

  it('refuses a server whose host key is not the pinned one, and never asks', async () => {
    const wrong = path.join(base, 'known_hosts_wrong');
    writeFileSync(wrong, `[127.0.0.1]:${port} ${readFileSync(path.join(base, 'other_host_key.pub'), 'utf8')}`);
    const repo = repoWith('work-wrong-host', { keyFile: clientKey, knownHostsFile: wrong });
    await expect(repo.ensureClone()).rejects.toThrow(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
  });

  it('refuses a key the server does not know', async () => {
    const stranger = path.join(base, 'stranger_key');
    keygen(stranger);
    const repo = repoWith('work-wrong-key', { keyFile: stranger, knownHostsFile: knownHosts });
    await expect(repo.ensureClone()).rejects.toThrow(/Permission denied \(publickey\)/);
  });

  it('quotes the files it names, so a path with spaces or quotes cannot become another option', () => {
    expect(gitOpsSshCommand({ keyFile: "/run/my key's/id", knownHostsFile: '/run/kh' })).toBe(
      `ssh -i '/run/my key'\\''s/id' -o IdentitiesOnly=yes -o UserKnownHostsFile='/run/kh' -o StrictHostKeyChecking=yes -o BatchMode=yes`,
    );
  });
});
