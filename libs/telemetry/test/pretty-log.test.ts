// Log lines: which form (pretty on a terminal, JSON on a pipe, LR_LOG_FORMAT and NO_COLOR),
// the human line itself, and a real process writing to a pipe and to a terminal.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { REPO_ROOT, tempDir } from '../../../test-kit/index.js';
import { chooseLogOutput } from '../log-format.js';
import { LogSink, type LineWriter } from '../log-sink.js';
import { prettyLine } from '../pretty-log.js';

const AT = new Date(2026, 10, 26, 7, 5, 9, 42).toISOString(); // 07:05:09.042 local time

describe('log format - the choice', () => {
  const cases: [string, string | undefined, Record<string, string>, boolean, { format: string; colour: boolean }][] = [
    ['a terminal: pretty and coloured', undefined, {}, true, { format: 'pretty', colour: true }],
    ['a pipe or a file: JSON', undefined, {}, false, { format: 'json', colour: false }],
    ['auto is the same guess', 'auto', {}, false, { format: 'json', colour: false }],
    ['NO_COLOR on a terminal: pretty without colour', undefined, { NO_COLOR: '1' }, true, { format: 'pretty', colour: false }],
    ['an empty NO_COLOR does not count', undefined, { NO_COLOR: '' }, true, { format: 'pretty', colour: true }],
    ['pretty asked for on a pipe: pretty, never coloured', 'pretty', {}, false, { format: 'pretty', colour: false }],
    ['json asked for on a terminal: JSON', 'json', {}, true, { format: 'json', colour: false }],
    ['an unknown value counts as auto', 'fancy', {}, true, { format: 'pretty', colour: true }],
  ];
  for (const [name, setting, env, tty, want] of cases) {
    it(name, () => assert.deepEqual(chooseLogOutput(setting, env, tty), want));
  }
});

describe('log format - the pretty line', () => {
  it('time, level, component, message, then the other fields as key=value (pid left out, traceId last)', () => {
    const line = prettyLine({ level: 30, time: AT, pid: 7, component: 'api', traceId: 'abc123', grpcPort: 50051, ops: 'on the HTTP port', ok: true, gone: null, msg: 'api listening' }, false);
    assert.equal(line, '07:05:09.042 INFO  api: api listening grpcPort=50051 ops="on the HTTP port" ok=true gone=null traceId=abc123');
  });

  it('names every level; a record without a component or a message still makes a line', () => {
    const names = [10, 20, 30, 40, 50, 60].map((level) => prettyLine({ level, time: AT, msg: 'm' }, false).split(' ')[1]);
    assert.deepEqual(names, ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);
    assert.equal(prettyLine({ level: 40, time: AT, stream: 'live/a' }, false), '07:05:09.042 WARN  stream=live/a');
  });

  it('quotes and escapes values that could break the line or reach the terminal', () => {
    const line = prettyLine({ level: 30, time: AT, msg: 'got\nnewline', stream: 'evil\u001b[31mname', key: 'a=b c', list: ['x', 1], where: { app: 'live' } }, false);
    assert.equal(line, '07:05:09.042 INFO  got\\u000anewline stream="evil\\u001b[31mname" key="a=b c" list=["x",1] where={"app":"live"}');
    assert.doesNotMatch(line, /[\u0000-\u001f]/);
  });

  it('shows a logged error\'s message inline and its stack below', () => {
    const line = prettyLine({ level: 50, time: AT, component: 'index', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.ts:1:1)' }, msg: 'failed' }, false);
    assert.equal(line, '07:05:09.042 ERROR index: failed err=boom\n    Error: boom\n        at f (x.ts:1:1)');
  });

  it('colours the time, level, component and keys, and only when asked', () => {
    const coloured = prettyLine({ level: 50, time: AT, component: 'api', port: 1, msg: 'm' }, true);
    assert.equal(coloured, '\u001b[2m07:05:09.042\u001b[0m \u001b[31mERROR\u001b[0m \u001b[35mapi:\u001b[0m m \u001b[2mport=\u001b[0m1');
    assert.doesNotMatch(prettyLine({ level: 50, time: AT, component: 'api', port: 1, msg: 'm' }, false), /\u001b/);
  });
});

describe('log format - the sink behind pino', () => {
  const collect = (): LineWriter & { text: string } => {
    const w = { text: '', write: (s: string) => ((w.text += s), true) };
    return w;
  };

  it('passes JSON through untouched, or makes each record a line; the form can change once the configuration is read', () => {
    const out = collect();
    const sink = new LogSink(out, { format: 'json', colour: false });
    const log = pino({ base: { pid: 1 }, timestamp: () => `,"time":"${AT}"` }, sink).child({ component: 'test' });
    log.info({ n: 1 }, 'first');
    assert.deepEqual(JSON.parse(out.text), { level: 30, time: AT, pid: 1, component: 'test', n: 1, msg: 'first' });
    sink.output = { format: 'pretty', colour: false };
    log.warn({ n: 2 }, 'second');
    assert.equal(out.text.split('\n')[1], '07:05:09.042 WARN  test: second n=2');
  });

  it('splits a chunk of several records, and shows a line that is not JSON as it came', () => {
    const out = collect();
    const sink = new LogSink(out, { format: 'pretty', colour: false });
    sink.write(`{"level":30,"time":"${AT}","msg":"a"}\n{"level":30,"time":"${AT}","msg":"b"}\nplain text\n`);
    assert.equal(out.text, '07:05:09.042 INFO  a\n07:05:09.042 INFO  b\nplain text\n');
  });
});

describe('log format - a process writing to a pipe and to a terminal', () => {
  const script = join(tempDir('logfmt'), 'log.ts');
  writeFileSync(script, `import { componentLogger } from ${JSON.stringify(join(REPO_ROOT, 'libs/telemetry/index.js'))};\ncomponentLogger('demo').info({ port: 1 }, 'liverecord is up');\n`);
  const env = (extra: Record<string, string>) => {
    const e: Record<string, string | undefined> = { ...process.env, LR_LOG_FORMAT: undefined, NO_COLOR: undefined, ...extra };
    return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Record<string, string>;
  };
  const piped = (extra: Record<string, string> = {}) => spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, env: env(extra), encoding: 'utf8' });
  // util-linux's script(1) gives the child a terminal, as a shell on a console would.
  const onTerminal = (extra: Record<string, string> = {}) => spawnSync('script', ['-qec', `${process.execPath} --import tsx ${script}`, '/dev/null'], { cwd: REPO_ROOT, env: env(extra), encoding: 'utf8' });

  it('writes JSON to a pipe, as tests and collectors read it', () => {
    const r = piped();
    assert.equal(r.status, 0, r.stderr);
    const rec = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual([rec.level, rec.component, rec.port, rec.msg], [30, 'demo', 1, 'liverecord is up']);
  });

  it('writes coloured human lines to a terminal', () => {
    const r = onTerminal();
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\u001b\[2m\d\d:\d\d:\d\d\.\d{3}\u001b\[0m \u001b\[32mINFO \u001b\[0m \u001b\[35mdemo:\u001b\[0m liverecord is up \u001b\[2mport=\u001b\[0m1\r?\n$/);
  });

  it('NO_COLOR on a terminal: the same line without colour; LR_LOG_FORMAT overrides either way', () => {
    assert.match(onTerminal({ NO_COLOR: '1' }).stdout, /^\d\d:\d\d:\d\d\.\d{3} INFO  demo: liverecord is up port=1\r?\n$/);
    assert.match(piped({ LR_LOG_FORMAT: 'pretty' }).stdout, /^\d\d:\d\d:\d\d\.\d{3} INFO  demo: liverecord is up port=1\n$/);
    assert.equal((JSON.parse(onTerminal({ LR_LOG_FORMAT: 'json' }).stdout) as { msg: string }).msg, 'liverecord is up');
  });
});
