/*
 * onnxruntime-node for every strider module that runs ONNX Runtime, with its telemetry off.
 *
 * onnxruntime-node 1.30 on Linux starts a telemetry uploader (Microsoft's 1DS SDK) with the first
 * session of a process: a thread of its own, events (each session's creation, periodic runtime and
 * system metrics) queued in a SQLite file under ~/.cache/Microsoft/DeveloperTools/.onnxruntime/
 * and sent to mobile.events.data.microsoft.com. Measured here (2026-12-06): 3703 events, 7 MiB of
 * database and write-ahead log from one afternoon's runs. A robot's controller does not phone
 * home, grow a file outside its data directory, or carry a thread it did not ask for, so strider
 * sets ORT_DISABLE_TELEMETRY=1 unless the environment names it already (a user may set 0). ONNX
 * Runtime reads it when it makes its environment, at the first session, so setting it here, when
 * this module is first imported, comes in time; processes strider starts inherit it. (ONNX Runtime
 * also stays quiet under CI=true, which is why CI never saw the thread.)
 * test/unit/dynamics/ortRuntime.test.ts checks it in a process with neither variable set.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export * from 'onnxruntime-node';
