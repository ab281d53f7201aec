export { composePlaylist, type PlaylistOptions, type PlaylistSegment } from './playlist.js';
