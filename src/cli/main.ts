import * as tf from '@tensorflow/tfjs';
import { LabSession } from '../model/session';
import { LabInputError, describeError } from '../model/errors';
import { formatRankSpec } from '../model/rankSpec';
import { scoreFactoredPlan } from '../model/methods/factorPlan';
import { configureFromArgs } from './ruleMethod';
import { planSize } from '../model/plan';
import { parseArgs, USAGE, type CliArgs } from './args';
import { modelNameOf, readModelFromDisk, readSample, useNodeBackend, nodeSvd } from './nodeEnv';
import { prepareOutputDir, prepareOutputFile, writeFilesAtomically } from './outputFiles';
import { formatEvalReport } from './report';
import { runCompare } from './compareCommand';

/**
 * The lab headless: `evaluate` scores a model (optionally at given ranks) on
 * the bundled 10,000 test images; `compress` writes the compressed model in
 * the same format as the app's download. Both go through LabSession, the
 * code path the app uses.
 */
async function run(args: CliArgs): Promise<void> {
  // Outputs are checked before anything slow, so a bad --out or --csv fails in a moment.
  const weightsFileName = `${modelNameOf(args.model)}-lowrank.weights.bin`;
  if (args.command === 'compress') await prepareOutputDir(args.out!, ['model.json', weightsFileName], args.force);
  if (args.command === 'compare' && args.csv) await prepareOutputFile(args.csv, args.force, '--csv');
  const { artifacts, name } = await readModelFromDisk(args.model);
  await useNodeBackend(args.backend);
  const sample = await readSample('test', args.data);
  const session = await LabSession.open(artifacts, name, sample, nodeSvd, undefined, undefined, undefined, { inputScale: args.inputScale });
  try {
    if (!args.json) {
      console.log(`${name}: input pixels 0..${session.inputScale.scale} (${session.inputScale.how})`);
      if (session.lab.noAccuracy) console.log(`${name}: accuracy does not apply: ${session.lab.noAccuracy} (${session.data.count} inputs)`);
    }
    if (args.command === 'compare') {
      await runCompare(session, name, args);
      return;
    }
    if (args.command === 'evaluate') {
      for (const spec of args.sweep ?? [undefined]) {
        const { plan, point } = await configureFromArgs(session, args, spec);
        const result = await scoreFactoredPlan(session, point);
        const size = planSize(session.layers, plan, point.groups);
        console.log(formatEvalReport(name, session.layers, plan, size, result, args.json, point.kernels ? point : undefined));
      }
      return;
    }
    const { plan, point } = await configureFromArgs(session, args, args.ranks);
    const out = args.out!;
    const exported = await session.exportModel(plan, `${name}-lowrank`, point.factors);
    if (exported.weightsFileName !== weightsFileName) throw new Error(`export named its weights ${exported.weightsFileName}, not ${weightsFileName}`);
    // Weights first, model.json last: a model.json on disk always has its weights beside it.
    await writeFilesAtomically(out, [[exported.weightsFileName, new Uint8Array(exported.weights)], ['model.json', exported.modelJson]]);
    const result = await scoreFactoredPlan(session, point);
    console.log(formatEvalReport(name, session.layers, plan, planSize(session.layers, plan, point.groups), result, args.json, point.kernels ? point : undefined));
    if (!args.json) console.log(`wrote ${out}/model.json and ${exported.weightsFileName}: ${exported.totalBytes} bytes (ranks ${formatRankSpec(plan) || 'none'})`);
  } finally {
    session.dispose();
  }
}

async function main(): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(describeError(err));
    console.error(USAGE);
    return 2;
  }
  if (args.command === 'help') {
    console.log(USAGE);
    return 0;
  }
  try {
    await run(args);
    return 0;
  } catch (err) {
    console.error(`error: ${describeError(err)}`);
    return err instanceof LabInputError ? 1 : 3;
  } finally {
    tf.disposeVariables();
  }
}

process.exitCode = await main();
