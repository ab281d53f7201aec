// Rewrites the configuration table of README.md from libs/config/config-keys.ts (npm run docs:config).
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_KEYS } from '../libs/config/config-keys.js';

const show = (v: unknown) => (v === null || v === '' ? '—' : Array.isArray(v) ? `\`${v.join(',')}\`` : typeof v === 'object' ? '—' : `\`${String(v)}\``);
const rows = CONFIG_KEYS.map((k) => `| \`${k.env}\` | \`${k.key}\` | ${show(k.default)} | ${k.doc} |`);
const table = ['| variable | key | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
const readme = readFileSync('README.md', 'utf8');
const next = readme.replace(/<!-- config-table -->[\s\S]*<!-- \/config-table -->/, `<!-- config-table -->\n${table}\n<!-- /config-table -->`);
if (next === readme && !readme.includes('<!-- config-table -->')) throw new Error('README.md has no config-table markers');
writeFileSync('README.md', next);
