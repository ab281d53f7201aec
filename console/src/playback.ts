// Where the browser fetches a recording from. A file on the api's local storage is
// read from this origin with its signed URL (the signature covers the object key and
// the expiry, not the host, so the path and query of record_url are enough, whatever
// LR_PUBLIC_BASE_URL says); a file in object storage is fetched where record_url
// points. The API key itself never goes to a player.
import type { RecordIndexInfo } from './types';

export function playableUrl(record: RecordIndexInfo, origin = window.location.origin): string {
  const url = record.recordUrl ?? '';
  if (record.ossBucket) return url;
  const key = (record.ossObject ?? '').split('/').map(encodeURIComponent).join('/');
  let search = '';
  try {
    search = new URL(url).search;
  } catch {
    // record_url is not absolute (playback open, no base URL): the object is served unsigned.
    search = '';
  }
  return `${origin}/${key}${search}`;
}

export type PlayerKind = 'hls' | 'file' | 'none';

/** m3u8 and cmaf are HLS playlists; mp4 plays as a file; flv has no player in a browser. */
export function playerKind(format: string | undefined): PlayerKind {
  if (format === 'm3u8' || format === 'cmaf') return 'hls';
  if (format === 'mp4') return 'file';
  return 'none';
}
