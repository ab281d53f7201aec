export { remuxToMp4 } from './remux.js';
export { composeFlv, type ComposeResult } from './flv-compose.js';
export { flvVideoCodecName, flvAudioCodecName, unsupportedCodecReason, SUPPORTED_VIDEO, SUPPORTED_AUDIO } from './codecs.js';
export { missingMediaBinaries } from './binaries.js';
export { TAG_AUDIO, TAG_VIDEO, parseVideoTag, parseAudioTag, isVideoKeyframe, isConfigPacket, flvFileHeader, flvTag, readFlvTags, FlvTagBuffer, type MediaPacket } from './flv-tags.js';
export { BatchBuilder, encodeBatch, decodeBatch, BatchFormatError, MEDIA_HEADERS, type BatchPacket } from './media-batch.js';
export { avcTrackConfig, hevcTrackConfig, aacTrackConfig, mp3TrackConfig, type VideoTrackConfig, type AudioTrackConfig } from './codec-config.js';
export { SegmentWriter, type SegmentContainer, type SegmentTracks } from './segment-writer.js';
