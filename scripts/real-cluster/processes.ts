// The real cluster's processes: each started with its output in a log file of its own, watched
// for an early exit, measured (resident memory from /proc) and stopped in reverse order.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Component {
  name: string;
  process: ChildProcess;
  logFile: string;
}

export class ProcessGroup {
  private readonly components: Component[] = [];
  private stopping = false;

  constructor(
    private readonly logDir: string,
    private readonly onUnexpectedExit: (component: Component, code: number | null) => void,
  ) {}

  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Component {
    const logFile = path.join(this.logDir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(command, args, { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const component = { name, process: child, logFile };
    child.once('exit', (code) => {
      if (!this.stopping) this.onUnexpectedExit(component, code);
    });
    this.components.push(component);
    return component;
  }

  /** The last lines of a component's log, for an error message. */
  static tail(component: Component, lines = 15): string {
    try {
      return readFileSync(component.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Resident memory of each running component, in MiB (VmRSS from /proc). */
  residentMiB(): Array<{ name: string; rssMiB: number }> {
    return this.components
      .filter((c) => c.process.exitCode === null && c.process.pid !== undefined)
      .map((c) => {
        let kib = 0;
        try {
          const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${c.process.pid}/status`, 'utf8'));
          kib = match ? Number(match[1]) : 0;
        } catch {
          // exited meanwhile
        }
        return { name: c.name, rssMiB: Math.round(kib / 1024) };
      });
  }

  /** SIGTERM in reverse start order (Argo CD before the API server before its storage), SIGKILL after a grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const component of [...this.components].reverse()) {
      const child = component.process;
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  }
}
