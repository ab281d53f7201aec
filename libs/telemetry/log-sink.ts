// The stream pino writes to: JSON lines passed through untouched, or each turned into a
// human line. A stream in the logging thread rather than pino-pretty's worker transport:
// the lines keep their order with everything else on stdout, nothing is lost when the
// process exits at once, and there is no worker thread per process.
import { prettyLine } from './pretty-log.js';
import type { LogOutput } from './log-format.js';

export interface LineWriter {
  write(chunk: string): boolean;
}

export class LogSink implements LineWriter {
  constructor(private readonly out: LineWriter, public output: LogOutput) {}

  write(chunk: string): boolean {
    if (this.output.format === 'json') return this.out.write(chunk);
    let pretty = '';
    // pino writes one record per call; a chunk of several is split so each gets its line.
    for (const line of chunk.split('\n')) {
      if (!line) continue;
      pretty += `${this.toPretty(line)}\n`;
    }
    return this.out.write(pretty);
  }

  private toPretty(line: string): string {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      return line; // not a record of ours (nothing else writes here): shown as it came
    }
    return record !== null && typeof record === 'object' ? prettyLine(record as Record<string, unknown>, this.output.colour) : line;
  }
}
