// Which form log lines take: human lines on a terminal, JSON for whatever reads a pipe or a
// file (collectors, tests, `jq`). LR_LOG_FORMAT overrides the guess; NO_COLOR turns colour off.

export type LogFormatSetting = 'auto' | 'pretty' | 'json';

export interface LogOutput {
  format: 'pretty' | 'json';
  /** ANSI colours: only pretty lines on a terminal, and not when NO_COLOR is set. */
  colour: boolean;
}

export function isLogFormatSetting(v: string | undefined): v is LogFormatSetting {
  return v === 'auto' || v === 'pretty' || v === 'json';
}

/**
 * `setting` as configured (an unknown value counts as auto: the configuration check names
 * it once the configuration is read). NO_COLOR disables colour when set to anything but the
 * empty string (no-color.org).
 */
export function chooseLogOutput(setting: string | undefined, env: Record<string, string | undefined>, isTTY: boolean): LogOutput {
  const wanted = isLogFormatSetting(setting) ? setting : 'auto';
  const format = wanted === 'auto' ? (isTTY ? 'pretty' : 'json') : wanted;
  return { format, colour: format === 'pretty' && isTTY && !env.NO_COLOR };
}
