import type { ReactNode } from 'react';
import { PRECISIONS, TRAINING_DEVICES, type LearningRateSchedule, type LossConfig, type MetricName, type OptimizerSpec, type Precision, type TrainingConfig, type TrainingDevice } from '../../../common/model/index.js';
import { LOSSES, METRICS, OPTIMIZERS, validateTrainingConfig } from '../../../common/project/projectFile.js';
import { useRun, useServices } from '../../AppServices.js';
import { NumberField } from '../../components/NumberField.js';

/** Keras's defaults per optimizer (keras.optimizers.*), shown as placeholders and used when the type changes. */
const OPTIMIZER_DEFAULTS: Record<OptimizerSpec['type'], Partial<OptimizerSpec>> = {
  sgd: { learningRate: 0.01, momentum: 0, nesterov: false },
  adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  adamw: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0.004 },
  rmsprop: { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false },
};
const SCHEDULES: LearningRateSchedule['type'][] = ['constant', 'exponential', 'cosine', 'piecewise', 'warmup'];
/** Keras's callback defaults. */
const CALLBACK_DEFAULTS = {
  earlyStopping: { monitor: 'val_loss', patience: 0, minDelta: 0, mode: 'auto', restoreBestWeights: false },
  modelCheckpoint: { monitor: 'val_loss', saveBestOnly: false, mode: 'auto' },
  reduceLROnPlateau: { monitor: 'val_loss', factor: 0.1, patience: 10, minDelta: 1e-4, cooldown: 0, minLr: 0 },
} as const;

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="param">
      <span className="param-name">{label}</span>
      {children}
    </label>
  );
}

function Num({ label, value, placeholder, testId, onChange, step = 'any' }: { label: string; value: number | undefined; placeholder?: number; testId?: string; onChange(v: number | undefined): void; step?: number | 'any' }) {
  return (
    <Row label={label}>
      <NumberField value={value ?? Number.NaN} testId={testId} step={step} placeholder={placeholder === undefined ? undefined : String(placeholder)} onValueChange={(v) => onChange(Number.isNaN(v) ? undefined : v)} />
    </Row>
  );
}

const lossOf = (t: TrainingConfig): LossConfig => (typeof t.loss === 'string' ? { type: t.loss } : 'type' in t.loss && typeof t.loss.type === 'string' ? (t.loss as LossConfig) : { type: 'sparse_categorical_crossentropy' });

/** Keras's compile() and fit() settings, with Keras's defaults; problems are named as the project file names them. */
export function TrainingForm() {
  const { run } = useServices();
  const t = useRun((s) => s.config.training);
  const training = useRun((s) => s.status === 'training');
  const set = (patch: Partial<TrainingConfig>) => run.getState().setTraining(patch);
  const opt = t.optimizer;
  const setOpt = (patch: Partial<OptimizerSpec>) => set({ optimizer: { ...opt, ...patch } });
  const defaults = OPTIMIZER_DEFAULTS[opt.type];
  const loss = lossOf(t);
  const perOutput = typeof t.loss === 'object' && !('type' in t.loss);
  const schedule = opt.schedule;
  const setSchedule = (patch: Partial<LearningRateSchedule> | null) => {
    if (patch === null) {
      const { schedule: _, ...rest } = opt;
      set({ optimizer: rest });
    } else setOpt({ schedule: { ...(schedule ?? { type: 'constant' }), ...patch } });
  };
  const cbs = t.callbacks;
  const toggleCallback = (key: keyof typeof CALLBACK_DEFAULTS, on: boolean) => {
    const next = { ...cbs } as Record<string, unknown>;
    if (on) next[key] = { ...CALLBACK_DEFAULTS[key] };
    else delete next[key];
    set({ callbacks: next as TrainingConfig['callbacks'] });
  };
  const setCallback = <K extends keyof TrainingConfig['callbacks']>(key: K, patch: Partial<NonNullable<TrainingConfig['callbacks'][K]>>) => set({ callbacks: { ...cbs, [key]: { ...cbs[key], ...patch } } });
  const checked = validateTrainingConfig(t);
  const problems = checked.ok ? [] : checked.errors;

  return (
    <section className="training-form" data-testid="training-form" aria-label="Training settings">
      <fieldset disabled={training}>
        <legend>Loss and metrics</legend>
        {perOutput ? (
          <p className="muted">One loss per output (set in the project file): {Object.entries(t.loss).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : v.type}`).join(', ')}.</p>
        ) : (
          <>
            <Row label="loss">
              <select data-testid="loss-select" value={loss.type} onChange={(e) => set({ loss: { type: e.target.value as LossConfig['type'], ...(loss.fromLogits ? { fromLogits: true } : {}) } })}>
                {LOSSES.map((l) => <option key={l} value={l}>{l}</option>)}
              </select>
            </Row>
            {loss.type.endsWith('crossentropy') && (
              <Row label="from_logits">
                <input type="checkbox" checked={loss.fromLogits === true} onChange={(e) => set({ loss: { ...loss, fromLogits: e.target.checked } })} />
              </Row>
            )}
            {loss.type === 'huber' && <Num label="delta" value={loss.delta} placeholder={1} onChange={(delta) => set({ loss: { ...loss, delta } })} />}
          </>
        )}
        <div className="metric-list">
          {METRICS.map((m) => (
            <label key={m} className="check">
              <input type="checkbox" checked={t.metrics.includes(m)} onChange={(e) => set({ metrics: e.target.checked ? [...t.metrics, m] : t.metrics.filter((x: MetricName) => x !== m) })} />
              {m}
            </label>
          ))}
        </div>
      </fieldset>

      <fieldset disabled={training}>
        <legend>Optimizer</legend>
        <Row label="optimizer">
          <select data-testid="optimizer-select" value={opt.type} onChange={(e) => set({ optimizer: { type: e.target.value as OptimizerSpec['type'], learningRate: OPTIMIZER_DEFAULTS[e.target.value as OptimizerSpec['type']].learningRate } })}>
            {OPTIMIZERS.map((o) => <option key={o} value={o}>{o === 'sgd' ? 'SGD' : o === 'adamw' ? 'AdamW' : o === 'rmsprop' ? 'RMSprop' : 'Adam'}</option>)}
          </select>
        </Row>
        <Num label="learning_rate" testId="learning-rate-input" value={opt.learningRate} placeholder={defaults.learningRate} onChange={(learningRate) => setOpt({ learningRate })} />
        {(opt.type === 'sgd' || opt.type === 'rmsprop') && <Num label="momentum" value={opt.momentum} placeholder={0} onChange={(momentum) => setOpt({ momentum })} />}
        {opt.type === 'sgd' && (
          <Row label="nesterov">
            <input type="checkbox" checked={opt.nesterov === true} onChange={(e) => setOpt({ nesterov: e.target.checked })} />
          </Row>
        )}
        {(opt.type === 'adam' || opt.type === 'adamw') && (
          <>
            <Num label="beta_1" value={opt.beta1} placeholder={0.9} onChange={(beta1) => setOpt({ beta1 })} />
            <Num label="beta_2" value={opt.beta2} placeholder={0.999} onChange={(beta2) => setOpt({ beta2 })} />
          </>
        )}
        {opt.type === 'rmsprop' && <Num label="rho" value={opt.rho} placeholder={0.9} onChange={(rho) => setOpt({ rho })} />}
        <Num label="weight_decay" value={opt.weightDecay} placeholder={defaults.weightDecay ?? 0} onChange={(weightDecay) => setOpt({ weightDecay })} />
        <Num label="clipnorm" value={opt.clipnorm} onChange={(clipnorm) => setOpt({ clipnorm })} />
        <Row label="schedule">
          <select data-testid="schedule-select" value={schedule?.type ?? 'constant'} onChange={(e) => setSchedule(e.target.value === 'constant' ? null : { type: e.target.value as LearningRateSchedule['type'] })}>
            {SCHEDULES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </Row>
        {(schedule?.type === 'exponential' || schedule?.type === 'cosine') && <Num label="decay_steps" value={schedule.decaySteps} step={1} onChange={(decaySteps) => setSchedule({ decaySteps })} />}
        {schedule?.type === 'exponential' && <Num label="decay_rate" value={schedule.decayRate} onChange={(decayRate) => setSchedule({ decayRate })} />}
        {schedule?.type === 'cosine' && <Num label="alpha" value={schedule.alpha} placeholder={0} onChange={(alpha) => setSchedule({ alpha })} />}
        {(schedule?.type === 'cosine' || schedule?.type === 'warmup') && (
          <>
            <Num label="warmup_steps" value={schedule.warmupSteps} step={1} onChange={(warmupSteps) => setSchedule({ warmupSteps })} />
            <Num label="warmup_target" value={schedule.warmupTarget} onChange={(warmupTarget) => setSchedule({ warmupTarget })} />
          </>
        )}
      </fieldset>

      <fieldset disabled={training}>
        <legend>Fit</legend>
        <Num label="epochs" testId="epochs-input" value={t.epochs} step={1} onChange={(epochs) => set({ epochs: epochs ?? Number.NaN })} />
        <Num label="batch_size" testId="batch-size-input" value={t.batchSize} step={1} placeholder={32} onChange={(batchSize) => set({ batchSize: batchSize ?? Number.NaN })} />
        <Num label="seed" value={t.seed} step={1} onChange={(seed) => set({ seed: seed ?? Number.NaN })} />
      </fieldset>

      <fieldset disabled={training}>
        <legend>Device</legend>
        <Row label="device">
          <select data-testid="device-select" value={t.device ?? 'auto'} onChange={(e) => set({ device: e.target.value as TrainingDevice })}>
            {TRAINING_DEVICES.map((d) => <option key={d} value={d}>{d === 'auto' ? 'auto (the GPU when usable)' : d === 'gpu' ? 'GPU only' : 'CPU'}</option>)}
          </select>
        </Row>
        <Row label="dtype_policy">
          <select data-testid="precision-select" value={t.precision ?? 'float32'} onChange={(e) => set({ precision: e.target.value as Precision })}>
            {PRECISIONS.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </Row>
        {t.precision === 'mixed_bfloat16' && <p className="muted">Products and convolutions in bfloat16 on the GPU, weights and results in float32; the CPU trains in float32.</p>}
        {t.precision === 'mixed_float16' && <p className="muted">Products and convolutions in float16 on the GPU, weights and results in float32, with dynamic loss scaling (a step whose gradients overflow is skipped and the scale halved); the CPU multiplies in float32.</p>}
        <Row label="GPU memory limit (MiB)">
          <NumberField value={t.gpuMemoryLimitMiB ?? Number.NaN} testId="gpu-memory-input" step={1} placeholder="grow as needed" onValueChange={(v) => set({ gpuMemoryLimitMiB: Number.isNaN(v) ? undefined : v })} />
        </Row>
        <Row label="CPU threads">
          <NumberField value={t.cpuThreads ?? Number.NaN} testId="cpu-threads-input" step={1} placeholder="one per core" onValueChange={(v) => set({ cpuThreads: Number.isNaN(v) ? undefined : v })} />
        </Row>
      </fieldset>

      <fieldset disabled={training}>
        <legend>Callbacks</legend>
        {(['earlyStopping', 'modelCheckpoint', 'reduceLROnPlateau'] as const).map((key) => (
          <div key={key} className="callback">
            <label className="check">
              <input type="checkbox" data-testid={`callback-${key}`} checked={cbs[key] !== undefined} onChange={(e) => toggleCallback(key, e.target.checked)} />
              {key === 'earlyStopping' ? 'EarlyStopping' : key === 'modelCheckpoint' ? 'ModelCheckpoint' : 'ReduceLROnPlateau'}
            </label>
            {cbs[key] && (
              <Row label="monitor">
                <input className="text-field mono" value={cbs[key]!.monitor} onChange={(e) => setCallback(key, { monitor: e.target.value })} />
              </Row>
            )}
            {cbs.earlyStopping && key === 'earlyStopping' && (
              <>
                <Num label="patience" value={cbs.earlyStopping.patience} step={1} onChange={(patience) => setCallback('earlyStopping', { patience: patience ?? Number.NaN })} />
                <Row label="restore_best_weights">
                  <input type="checkbox" checked={cbs.earlyStopping.restoreBestWeights} onChange={(e) => setCallback('earlyStopping', { restoreBestWeights: e.target.checked })} />
                </Row>
              </>
            )}
            {cbs.modelCheckpoint && key === 'modelCheckpoint' && (
              <Row label="save_best_only">
                <input type="checkbox" checked={cbs.modelCheckpoint.saveBestOnly} onChange={(e) => setCallback('modelCheckpoint', { saveBestOnly: e.target.checked })} />
              </Row>
            )}
            {cbs.reduceLROnPlateau && key === 'reduceLROnPlateau' && (
              <>
                <Num label="factor" value={cbs.reduceLROnPlateau.factor} onChange={(factor) => setCallback('reduceLROnPlateau', { factor: factor ?? Number.NaN })} />
                <Num label="patience" value={cbs.reduceLROnPlateau.patience} step={1} onChange={(patience) => setCallback('reduceLROnPlateau', { patience: patience ?? Number.NaN })} />
              </>
            )}
          </div>
        ))}
      </fieldset>
      {problems.length > 0 && (
        <ul className="form-problems" role="alert" data-testid="training-problems">
          {problems.map((p) => <li key={p}>{p}</li>)}
        </ul>
      )}
    </section>
  );
}
