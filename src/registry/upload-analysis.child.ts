/**
 * The upload analysis process: forked by UploadAnalyser, it runs one job at
 * a time from its parent and answers with the result or the error as plain
 * data (the parent rebuilds the domain error). It exits with its parent.
 */
import { analyseUpload, type AnalysisJob } from './upload-analysis.js';

interface Request {
  id: number;
  job: AnalysisJob;
}

process.on('message', (msg: Request) => {
  analyseUpload(msg.job).then(
    ({ baseline, calibration, ...rest }) =>
      process.send!({
        id: msg.id,
        ok: true,
        result: { ...rest, baselineJson: baseline ? JSON.stringify(baseline) : null, calibrationJson: calibration ? JSON.stringify(calibration) : null, calibrationError: calibration?.ece ?? null },
      }),
    (err: unknown) => process.send!({ id: msg.id, ok: false, error: errorData(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });

function errorData(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  // Own fields carry the domain error's code, status, details and reason.
  const own = Object.fromEntries(Object.entries(err).filter(([, v]) => typeof v !== 'function'));
  return { ...own, name: err.name, message: err.message, stack: err.stack };
}
