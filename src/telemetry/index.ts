export { LatencyHistogram } from './LatencyHistogram.js';
export { Progress } from './Progress.js';
export { writeReport } from './Report.js';
export type { RunReport, EpisodeReport, TickReport, ModelReport } from './Report.js';
