// A response for people: each list of messages as a table, the other fields as
// "name: value" lines (nested messages indented), an empty response as OK. Generic
// over the generated response types, so a new method needs no renderer.
import type { FieldSpec } from '../message-schema.js';
import { DEFAULT_COLUMNS } from './columns.js';
import { renderTable } from './text-table.js';
import { EMPTY, formatValue, type RenderContext } from './values.js';

const isTable = (f: FieldSpec) => f.repeated && f.kind === 'message';

export function columnsOf(list: FieldSpec, ctx: RenderContext): FieldSpec[] {
  const all = list.fields ?? [];
  const preferred = DEFAULT_COLUMNS[list.name];
  if (ctx.wide || !preferred) return all;
  return preferred.map((name) => all.find((f) => f.name === name)).filter((f): f is FieldSpec => f !== undefined);
}

function header(f: FieldSpec): string {
  return f.protoName.replace(/_/g, ' ').toUpperCase();
}

export function renderList(list: FieldSpec, rows: Record<string, unknown>[], ctx: RenderContext): string {
  const columns = columnsOf(list, ctx);
  const cell = { ...ctx, compact: !ctx.wide };
  const table = renderTable(columns.map(header), rows.map((r) => columns.map((c) => formatValue(c, r[c.name], cell))));
  // An empty list still shows its header, so that "nothing" is visibly an answer.
  return rows.length ? table : `${table}\n(none)`;
}

function renderBlock(fields: FieldSpec[], obj: Record<string, unknown>, ctx: RenderContext, indent: string): string[] {
  const width = Math.max(...fields.map((f) => f.protoName.length)) + 1;
  const lines: string[] = [];
  for (const f of fields) {
    const v = obj[f.name];
    const label = `${indent}${`${f.protoName}:`.padEnd(width)}`;
    if (f.kind === 'message' && !f.repeated && v !== undefined && v !== null) {
      lines.push(`${indent}${f.protoName}:`, ...renderBlock(f.fields ?? [], v as Record<string, unknown>, ctx, `${indent}  `));
    } else {
      lines.push(`${label} ${formatValue(f, v, ctx)}`.trimEnd());
    }
  }
  return lines;
}

export function renderResponse(fields: FieldSpec[], response: Record<string, unknown>, ctx: RenderContext): string {
  if (!fields.length) return 'OK';
  const tables = fields.filter(isTable);
  const others = fields.filter((f) => !isTable(f));
  const parts = tables.map((t) => {
    const rows = (Array.isArray(response[t.name]) ? response[t.name] : []) as Record<string, unknown>[];
    const table = renderList(t, rows, ctx);
    return tables.length > 1 ? `${t.protoName}:\n${table}` : table;
  });
  if (others.length && tables.length && others.every((f) => f.kind !== 'message')) {
    // Beside a table, the scalars are paging figures and counts: one line.
    parts.push(others.map((f) => `${f.protoName}: ${formatValue(f, response[f.name], ctx)}`).join('   '));
  } else if (others.length) {
    parts.push(renderBlock(others, response, ctx, '').join('\n'));
  }
  return parts.join('\n\n') || EMPTY;
}
