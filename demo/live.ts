/**
 * The demos' live view: a screen redrawn in place on a terminal (a header,
 * a table, what is happening now, the last events), or plain event lines
 * when stdout is not a terminal. Events carry the seconds since the start.
 */
export class LiveView {
  readonly events: string[] = [];
  /** What is happening now (shown under the table). */
  title = 'starting';
  private readonly t0 = Date.now();
  private readonly tty = process.stdout.isTTY === true;

  constructor(private readonly keep = 8) {}

  /** Seconds since the start, as shown in front of events. */
  elapsed(): string {
    return ((Date.now() - this.t0) / 1000).toFixed(1).padStart(5);
  }

  /** Records an event (printed at once when not on a terminal). */
  say(event: string): void {
    const line = `${this.elapsed()} s  ${event}`;
    this.events.push(line);
    if (!this.tty) console.log(line);
  }

  /** Redraws the screen: `head` lines, then now: title, then the last events. */
  render(head: string[]): void {
    if (!this.tty) return;
    const lines = [...head, '', `  now: ${this.title}`, '', ...this.events.slice(-this.keep).map((e) => `  ${e}`)];
    process.stdout.write(`\x1b[H\x1b[2J${lines.join('\n')}\n`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
