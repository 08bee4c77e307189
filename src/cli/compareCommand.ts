import { basename, dirname } from 'node:path';
import { accuracyWithinShare, COMPARE_CURVES, compareCsv, compareMethods, knobValue } from '../model/compare';
import { LabInputError } from '../model/errors';
import type { LabSession } from '../model/session';
import type { CliArgs } from './args';
import { table } from './benchTable';
import { readSample } from './nodeEnv';
import { writeFilesAtomically } from './outputFiles';

/**
 * `compare`: every method's curve on one model (the same rows the lab's
 * comparison chart draws), as a table, with the best accuracy each method
 * reaches within 25% of the original bytes; --csv writes the rows too.
 */
export async function runCompare(session: LabSession, name: string, args: CliArgs): Promise<void> {
  const known = COMPARE_CURVES.map((m) => m.name);
  const unknown = (args.methods ?? []).filter((m) => !known.includes(m));
  if (unknown.length > 0) throw new LabInputError('rank', `Unknown method ${unknown.join(', ')}; choose from ${known.join(', ')}.`);
  const calibration = await readSample('calib');
  const rows = await compareMethods(session, calibration, {
    methods: args.methods,
    onProgress: (done, total, label) => process.stderr.write(`\r  ${done}/${total} ${label.padEnd(30)}`),
  });
  process.stderr.write('\n');
  console.log(`${name}: accuracy on ${session.data.count} test images vs stored bytes (float32 unless the method quantizes)`);
  console.log(table(['method', 'knob', 'value', 'bytes', '% of original', 'accuracy', 'configuration'],
    rows.map((r) => [r.method, r.knob, knobValue(r), String(r.bytes), (100 * r.share).toFixed(1), `${(100 * r.accuracy).toFixed(2)}%`, r.detail])));
  const at25 = known.map((m) => [m, accuracyWithinShare(rows, m, 0.25)] as const).filter(([, a]) => a !== null) as Array<[string, number]>;
  at25.sort((a, b) => b[1] - a[1]);
  console.log('\nBest accuracy within 25% of the original bytes (configurations at or below it, and linear between the two around it):');
  console.log(table(['method', 'best accuracy within 25%'], at25.map(([m, a]) => [m, `${(100 * a).toFixed(2)}%`])));
  if (args.csv) {
    await writeFilesAtomically(dirname(args.csv), [[basename(args.csv), compareCsv(rows)]]);
    console.log(`wrote ${args.csv}`);
  }
}
