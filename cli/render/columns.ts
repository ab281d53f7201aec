// The columns a table shows by default for the wide list types (--wide shows all),
// keyed by the response's list field. Lists not named here show every field.
export const DEFAULT_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  recordIndexInfoList: ['recordId', 'format', 'startTime', 'endTime', 'duration', 'recordUrl'],
  liveAppRecordList: ['domainName', 'appName', 'streamName', 'onDemand', 'delayTime', 'recordFormat', 'ossBucket', 'createTime'],
  liveRecordVodConfigs: ['domainName', 'appName', 'streamName', 'spaceId', 'onDemand', 'recordFormat', 'createTime'],
};

/**
 * In table cells (without --wide), a nested message of these fields shows only the
 * named fields: the object-name patterns are long and usually the defaults.
 */
export const INLINE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  recordFormat: ['format', 'sliceDuration', 'cycleDuration'],
  transcodeRecordFormat: ['format', 'sliceDuration', 'cycleDuration'],
};

/**
 * Lists of (name, amount) messages shown as "name amount" pairs in a cell and on a
 * line ("m3u8 120.5, flv 60"), keyed by the list field: the first field is the name,
 * the second the amount.
 */
export const PAIR_FIELDS: Readonly<Record<string, readonly [string, string]>> = {
  recordedMinutes: ['format', 'minutes'],
};
