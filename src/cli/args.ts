import { parseInputScale, type InputScale } from '../model/pixels';
import { LabInputError } from '../model/errors';
import { FACTOR_METHOD_NAMES } from '../model/methods/registry';
import { isKnobRule, KNOB_RULES, KNOB_RULE_NAMES, type KnobRule } from '../model/rules/registry';
import { TARGET_KNOB } from '../model/rules/target';
import type { NodeBackend } from './nodeEnv';

/**
 * Command-line arguments of the headless lab. Parsing is strict: an unknown
 * flag or a missing value is an error with the usage text, never ignored.
 */

/** The help text printed for `help` and after a usage error. */
export const USAGE = `usage:
  npm run cli -- evaluate --model <model.json> [--ranks <spec>]... [--plan <plan.json>] [--rule <rule>:<value>] [--target-rule <rule>] [--method <method>] [--input-scale 1|255] [--json] [--backend wasm|cpu] [--data <file>]
  npm run cli -- compress --model <model.json> (--ranks <spec> | --rule <rule>:<value> | --plan <plan.json>) [--method <method>] [--input-scale 1|255] --out <dir> [--force] [--json] [--backend wasm|cpu]
  npm run cli -- compare --model <model.json> [--methods name,...] [--input-scale 1|255] [--csv <file>] [--force] [--backend wasm|cpu]

  <spec> is layer=rank pairs (fc1=16,fc2=16) or one number for every factorizable layer.
  <plan.json> is the lab's "Export plan" file: {"model": "mlp-64", "method": "svd", "ranks": {"fc1": 16}},
    with "groups" for alds; its method is used (a different --method is refused).
  evaluate takes --ranks several times to score several configurations in one run.
  <rule> picks the ranks (rules other than target read the calibration images where they need data):
${KNOB_RULE_NAMES.map((r) => `    ${r}:<${KNOB_RULES[r].knob.label}, ${KNOB_RULES[r].knob.min} to ${KNOB_RULES[r].knob.max}>  ${KNOB_RULES[r].hint}`).join('\n')}
    target:<${TARGET_KNOB.label}, ${TARGET_KNOB.min} to ${TARGET_KNOB.max}>  the smallest model reaching it, searching the knob of
      --target-rule ${KNOB_RULE_NAMES.join('|')} (default energy)
  <method> computes the factors: ${FACTOR_METHOD_NAMES.join(', ')} (alds: the groups its rule chose; compress writes
  them too: int8/int4 as TF.js uint8-quantized weights, ALDS groups as a depthwise convolution).
  compare runs every method, or those --methods names.
  --input-scale feeds the model pixels in 0..1 or 0..255; without it the lab detects which the model
  expects (a Rescaling layer in front, or the original model's accuracy both ways) and says so.
  compress and compare --csv never overwrite an existing file unless --force is given; their output
  appears only once complete (written under a temporary name, then renamed).
  Models are TF.js LayersModels; the bundled ones are public/models/<id>/model.json.`;

/** Parsed arguments; `ranksList` holds every --ranks in order. */
export interface CliArgs {
  command: 'evaluate' | 'compress' | 'compare' | 'help';
  /** compare: which methods (default all), and where to write the CSV. */
  methods?: string[];
  csv?: string;
  /** A rank rule and its knob, e.g. { name: 'energy', value: 0.9 }. */
  rule?: { name: string; value: number };
  /** The factor method for evaluate and compress (default svd). */
  method?: string;
  /** Whose knob --rule target:<accuracy> searches (default energy). */
  targetRule?: KnobRule;
  model: string;
  ranks?: string;
  /** A plan file (the lab's "Export plan"): method, ranks and groups in one. */
  plan?: string;
  sweep?: string[];
  out?: string;
  data?: string;
  json: boolean;
  /** Overwrite existing output files (compress's model.json and weights, compare's CSV). */
  force: boolean;
  backend: NodeBackend;
  /** The pixel range to feed the model; detected when absent. */
  inputScale?: InputScale;
}

/** Parses argv (without node and script); throws LabInputError on misuse. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    return { command: 'help', model: '', json: false, force: false, backend: 'wasm' };
  }
  if (command !== 'evaluate' && command !== 'compress' && command !== 'compare') {
    throw new LabInputError('rank', `Unknown command "${command}".`);
  }
  const ranks: string[] = [];
  const args: CliArgs = { command, model: '', json: false, force: false, backend: 'wasm' };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--json' || flag === '--force') {
      if (flag === '--json') args.json = true;
      else args.force = true;
      continue;
    }
    const value = rest[i + 1];
    if (value === undefined || value.startsWith('--')) throw new LabInputError('rank', `${flag} needs a value.`);
    i++;
    switch (flag) {
      case '--model': args.model = value; break;
      case '--ranks': ranks.push(value); break;
      case '--plan': args.plan = value; break;
      case '--out': args.out = value; break;
      case '--data': args.data = value; break;
      case '--methods': args.methods = value.split(',').filter(Boolean); break;
      case '--csv': args.csv = value; break;
      case '--method': args.method = value; break;
      case '--target-rule':
        if (!isKnobRule(value)) throw new LabInputError('rank', `--target-rule must be one of ${KNOB_RULE_NAMES.join(', ')}, not "${value}".`);
        args.targetRule = value;
        break;
      case '--rule': {
        const m = /^([a-z-]+):([0-9.]+)$/.exec(value);
        if (!m || !Number.isFinite(Number(m[2]))) throw new LabInputError('rank', `--rule takes name:value, e.g. energy:0.9, not "${value}".`);
        args.rule = { name: m[1], value: Number(m[2]) };
        break;
      }
      case '--input-scale': {
        const scale = parseInputScale(value);
        if (scale === null) throw new LabInputError('rank', `--input-scale must be 1 or 255, not "${value.slice(0, 20)}".`);
        args.inputScale = scale;
        break;
      }
      case '--backend':
        if (value !== 'wasm' && value !== 'cpu') throw new LabInputError('backend', `--backend must be wasm or cpu, not "${value}".`);
        args.backend = value;
        break;
      default: throw new LabInputError('rank', `Unknown option "${flag}".`);
    }
  }
  if (!args.model) throw new LabInputError('model-json', 'Give the model with --model <path to model.json>.');
  if (args.plan && (ranks.length > 0 || args.rule)) throw new LabInputError('rank', `A --plan file gives the ranks itself; drop ${ranks.length > 0 ? '--ranks' : '--rule'}.`);
  if (command === 'compress') {
    if (args.rule && ranks.length > 0) throw new LabInputError('rank', 'Give compress either --ranks or --rule, not both.');
    if (!args.rule && !args.plan && ranks.length !== 1) throw new LabInputError('rank', 'compress needs exactly one --ranks (or a --rule, or a --plan file).');
    if (!args.out) throw new LabInputError('rank', 'compress needs --out <folder>.');
    args.ranks = ranks[0];
    if (args.rule) args.ranks = undefined;
  } else if (ranks.length > 0) {
    args.sweep = ranks;
  }
  return args;
}
