export { ffmpegSegmenter, type Segmenter, type SegmenterFactory, type SegmenterOptions, type ClosedSegment } from './segmenter.js';
export { packageSegments } from './package-segments.js';
export { flvVideoCodecName, flvAudioCodecName, unsupportedCodecReason, SUPPORTED_VIDEO, SUPPORTED_AUDIO } from './codecs.js';
export { missingMediaBinaries } from './binaries.js';
