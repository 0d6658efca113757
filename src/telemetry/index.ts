export { LatencyHistogram } from './LatencyHistogram.js';
export { Progress } from './Progress.js';
export { humanLogLine, runLogStreams, TerminalLogStream } from './terminalLog.js';
export type { RunLogStreamOptions } from './terminalLog.js';
export { writeReport } from './Report.js';
export type {
  RunReport,
  EpisodeReport,
  TickReport,
  ModelReport,
  PolicyReport,
  PolicyDecisionRecord,
} from './Report.js';
