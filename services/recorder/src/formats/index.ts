import type { RecordFormat } from '../../../../libs/bus/index.js';
export { PACKAGED_FORMATS } from '../../../../libs/bus/index.js';
import type { FormatPackager } from './format.js';
import { m3u8Packager } from './format-m3u8.js';

export type { FormatPackager, PackagingContext } from './format.js';


export function packagerFor(format: RecordFormat): FormatPackager {
  switch (format) {
    case 'm3u8':
      return m3u8Packager;
    default:
      throw new Error(`format ${format} is not packaged by this build`);
  }
}
