import type { RecordFormat } from '../../../../libs/bus/index.js';
import type { FormatPackager } from './format.js';
import { m3u8Packager } from './format-m3u8.js';
import { flvPackager, mp4Packager } from './format-packaged.js';

export type { FormatPackager, PackagingContext } from './format.js';
export { keepForPackaging, readPackCopy, dropPackCopies } from './pack-copies.js';

/** Formats made from the segments' FLV parts at finalize: their parts are kept until then. */
export const JOINED_FORMATS: readonly RecordFormat[] = ['flv', 'mp4'];

export function packagerFor(format: RecordFormat): FormatPackager {
  switch (format) {
    case 'm3u8':
    case 'cmaf':
      return m3u8Packager;
    case 'flv':
      return flvPackager;
    case 'mp4':
      return mp4Packager;
  }
}
