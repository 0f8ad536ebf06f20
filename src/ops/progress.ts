/**
 * Progress of long operator commands (check, backup, restore) on stderr: a line redrawn in place on
 * a terminal, plain periodic lines otherwise (logs, CI), nothing when quiet. Never on stdout, which
 * carries the result (`--json`).
 */
export interface ProgressSink {
  /** Starts a phase measured in bytes (or items when `unit` is 'items'). */
  phase(label: string, total: number, unit?: 'bytes' | 'items'): void;
  advance(n: number, note?: string): void;
  /** A one-off line (e.g. "backup complete"). */
  note(text: string): void;
  end(): void;
}

export const silentProgress: ProgressSink = {
  phase: () => undefined,
  advance: () => undefined,
  note: () => undefined,
  end: () => undefined,
};

export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  quiet?: boolean;
  /** Plain (non-terminal) mode: one line at most this often. */
  plainIntervalMs?: number;
}

export function createProgress(opts: ProgressOptions = {}): ProgressSink {
  if (opts.quiet) return silentProgress;
  const stream = opts.stream ?? process.stderr;
  return stream.isTTY ? new TerminalProgress(stream) : new PlainProgress(stream, opts.plainIntervalMs ?? 10_000);
}

abstract class BaseProgress implements ProgressSink {
  protected label = '';
  protected total = 0;
  protected done = 0;
  protected unit: 'bytes' | 'items' = 'bytes';
  protected started = Date.now();
  protected lastNote = '';

  constructor(protected readonly stream: NodeJS.WritableStream & { columns?: number }) {}

  phase(label: string, total: number, unit: 'bytes' | 'items' = 'bytes'): void {
    this.finishLine();
    this.label = label;
    this.total = total;
    this.done = 0;
    this.unit = unit;
    this.started = Date.now();
    this.lastNote = '';
    this.render(true);
  }

  advance(n: number, note?: string): void {
    this.done += n;
    if (note !== undefined) this.lastNote = note;
    this.render(false);
  }

  note(text: string): void {
    this.finishLine();
    this.stream.write(`${text}\n`);
  }

  end(): void {
    this.render(true);
    this.finishLine();
  }

  protected line(): string {
    const pct = this.total > 0 ? Math.min(100, Math.floor((this.done / this.total) * 100)) : 100;
    const amount = this.unit === 'bytes' ? `${formatBytes(this.done)} / ${formatBytes(this.total)}` : `${this.done} / ${this.total}`;
    const elapsed = (Date.now() - this.started) / 1000;
    let eta = '';
    if (this.done > 0 && this.done < this.total && elapsed > 1) {
      eta = `, ${formatSeconds(((this.total - this.done) * elapsed) / this.done)} left`;
    }
    return `${this.label}: ${pct}% (${amount}${eta})`;
  }

  protected abstract render(force: boolean): void;
  protected abstract finishLine(): void;
}

class TerminalProgress extends BaseProgress {
  private lastDraw = 0;
  private drawn = false;

  protected render(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    const bar = this.bar(20);
    let text = `${bar} ${this.line()}`;
    if (this.lastNote) text += ` ${this.lastNote}`;
    if (text.length > width) text = text.slice(0, width);
    this.stream.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }

  private bar(width: number): string {
    const filled = this.total > 0 ? Math.min(width, Math.round((this.done / this.total) * width)) : width;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  }

  protected finishLine(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

class PlainProgress extends BaseProgress {
  private lastLine = 0;

  constructor(
    stream: NodeJS.WritableStream,
    private readonly intervalMs: number,
  ) {
    super(stream);
  }

  protected render(force: boolean): void {
    // A phase's start and end, and in between at most one line per interval (never one per file).
    const now = Date.now();
    if (!force && now - this.lastLine < this.intervalMs) return;
    this.lastLine = now;
    this.stream.write(`${this.line()}\n`);
  }

  protected finishLine(): void {}
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

function formatSeconds(s: number): string {
  if (s < 90) return `${Math.ceil(s)}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}
