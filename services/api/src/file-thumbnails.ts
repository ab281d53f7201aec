// A described file's thumbnail fields (cover image, sprite sheets, WebVTT track), from what the index
// attached to the catalogued file; empty when the stream had no snapshot configuration.
import type { CatalogFile, CatalogFileWithThumbnails } from '../../../libs/bus/index.js';
import type { RecordIndexInfo } from '../../../libs/proto/index.js';

type ThumbnailFields = Pick<RecordIndexInfo, 'coverOssObject' | 'coverUrl' | 'thumbnailVttOssObject' | 'thumbnailVttUrl' | 'thumbnailSpriteOssObjects'>;

export function fileThumbnailFields(f: CatalogFile, signUrl: (url: string) => string = (u) => u): ThumbnailFields {
  const t = (f as CatalogFileWithThumbnails).thumbnails;
  return {
    coverOssObject: t?.coverKey ?? '',
    coverUrl: t?.coverUrl ? signUrl(t.coverUrl) : '',
    thumbnailVttOssObject: t?.vttKey ?? '',
    thumbnailVttUrl: t?.vttUrl ? signUrl(t.vttUrl) : '',
    thumbnailSpriteOssObjects: t?.spriteKeys ?? [],
  };
}
