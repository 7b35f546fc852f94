// What Harbor keeps in its database beside the registry: ids of projects, repositories,
// artifacts and tags, push and pull times, and scan records. Kept in memory, and in
// `<dataDir>/harbor.json` when a data folder is given. Artifacts pushed straight into an
// upstream registry get their record the first time the simulator sees them.
import path from 'node:path';
import { JsonFile } from './json-file.js';
import type { Severity } from './scans.js';

/** Harbor's "never" for pull times. */
export const NEVER = '0001-01-01T00:00:00.000Z';

export interface RepositoryRecord {
  id: number;
  name: string;
  creationTime: string;
}

export interface ArtifactRecord {
  id: number;
  repository: string;
  digest: string;
  pushTime: string;
  pullTime: string;
}

export interface TagRecord {
  id: number;
  repository: string;
  name: string;
  digest: string;
  pushTime: string;
  pullTime: string;
}

export interface ScanRecord {
  reportId: string;
  repository: string;
  digest: string;
  /** ms since epoch */
  startedAt: number;
  durationMs: number;
  findings: Partial<Record<Exclude<Severity, 'None'>, number>>;
  error: boolean;
  /** ms since epoch, when stopped through `/scan/stop` */
  stoppedAt?: number;
}

interface Snapshot {
  nextId: number;
  repositories: Record<string, RepositoryRecord>;
  artifacts: Record<string, ArtifactRecord>;
  tags: Record<string, TagRecord>;
  scans: Record<string, ScanRecord>;
}

const empty = (): Snapshot => ({ nextId: 1, repositories: {}, artifacts: {}, tags: {}, scans: {} });

export class HarborState {
  private data: Snapshot;
  private readonly file?: JsonFile<Snapshot>;

  constructor(
    readonly projects: readonly string[],
    dataDir?: string,
  ) {
    if (dataDir) this.file = new JsonFile(path.join(dataDir, 'harbor.json'));
    this.data = this.file?.load(empty()) ?? empty();
  }

  projectId(project: string): number {
    return this.projects.indexOf(project) + 1;
  }

  repository(name: string, now = new Date()): RepositoryRecord {
    let record = this.data.repositories[name];
    if (!record) {
      record = { id: this.nextId(), name, creationTime: now.toISOString() };
      this.data.repositories[name] = record;
      this.save();
    }
    return record;
  }

  /** The artifact record, created on first sight (push time = now). */
  artifact(repository: string, digest: string, now = new Date()): ArtifactRecord {
    const key = `${repository}@${digest}`;
    let record = this.data.artifacts[key];
    if (!record) {
      this.repository(repository, now);
      record = { id: this.nextId(), repository, digest, pushTime: now.toISOString(), pullTime: NEVER };
      this.data.artifacts[key] = record;
      this.save();
    }
    return record;
  }

  findArtifact(repository: string, digest: string): ArtifactRecord | undefined {
    return this.data.artifacts[`${repository}@${digest}`];
  }

  /** The tag record; a tag that moved to another digest is a new push. */
  tag(repository: string, name: string, digest: string, now = new Date()): TagRecord {
    const key = `${repository}:${name}`;
    let record = this.data.tags[key];
    if (!record || record.digest !== digest) {
      record = { id: this.nextId(), repository, name, digest, pushTime: now.toISOString(), pullTime: NEVER };
      this.data.tags[key] = record;
      this.save();
    }
    return record;
  }

  /** Records a push through the simulator: the artifact, and the tag when given. */
  recordPush(repository: string, digest: string, tag: string | undefined, now = new Date()): ArtifactRecord {
    const artifact = this.artifact(repository, digest, now);
    if (tag) this.tag(repository, tag, digest, now);
    return artifact;
  }

  recordPull(repository: string, digest: string, tag: string | undefined, now = new Date()): void {
    this.artifact(repository, digest, now).pullTime = now.toISOString();
    if (tag) this.tag(repository, tag, digest, now).pullTime = now.toISOString();
    this.save();
  }

  forgetArtifact(repository: string, digest: string): void {
    delete this.data.artifacts[`${repository}@${digest}`];
    delete this.data.scans[`${repository}@${digest}`];
    for (const [key, tag] of Object.entries(this.data.tags)) if (tag.repository === repository && tag.digest === digest) delete this.data.tags[key];
    this.save();
  }

  scan(repository: string, digest: string): ScanRecord | undefined {
    return this.data.scans[`${repository}@${digest}`];
  }

  putScan(record: ScanRecord): void {
    this.data.scans[`${record.repository}@${record.digest}`] = record;
    this.save();
  }

  scans(): ScanRecord[] {
    return Object.values(this.data.scans);
  }

  artifacts(): ArtifactRecord[] {
    return Object.values(this.data.artifacts);
  }

  reset(): void {
    this.data = empty();
    this.save();
  }

  private nextId(): number {
    const id = this.data.nextId;
    this.data.nextId += 1;
    return id;
  }

  private save(): void {
    this.file?.save(this.data);
  }
}
