import { useEditor, useRun, useServices } from '../AppServices.js';
import { trainConfigProblems, type TrainConfig } from '../../common/contract/index.js';
import { NumberField } from './NumberField.js';
import { StatusPill } from './StatusPill.js';

function KilnMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path d="M4 21V11a8 8 0 0 1 16 0v10z" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinejoin="round" />
      <path d="M12 19c-2 0-3.2-1.3-3.2-3 0-1.9 1.6-2.8 2.2-4.6.9 1 1.2 1.9 1.1 2.8.6-.4 1-1 1.2-1.8 1.2 1.1 1.9 2.3 1.9 3.6 0 1.7-1.2 3-3.2 3z" fill="currentColor" />
    </svg>
  );
}

/** The top bar: app name, dataset, training settings, Train/Stop and the engine's status. */
export function Toolbar() {
  const { run } = useServices();
  const status = useRun((s) => s.status);
  const message = useRun((s) => s.message);
  const config = useRun((s) => s.config);
  const dataset = useRun((s) => s.datasets.find((d) => d.id === s.config.dataset));
  const issues = useEditor((s) => s.report.issues);
  const training = status === 'training';
  const problems = trainConfigProblems(config);
  const blockers = [...issues.map((i) => i.message), ...problems.map((p) => p.message)];
  const canTrain = blockers.length === 0;
  const buttonTitle = training
    ? 'Stop the current run'
    : canTrain
      ? 'Train the model on the dataset'
      : `Fix these first:\n• ${blockers.join('\n• ')}`;
  const problemOf = (field: keyof TrainConfig) => problems.find((p) => p.field === field)?.message ?? null;

  return (
    <header className="toolbar">
      <div className="brand">
        <KilnMark />
        <span className="brand-name">Kiln</span>
      </div>
      <div className="toolbar-sep" />
      <div className="dataset-chip" title={dataset ? `${dataset.classNames.join(', ')}. Source: ${dataset.source}` : undefined} data-testid="dataset">
        <span className="chip-label">Dataset</span>
        <span className="chip-value">
          {dataset ? `${dataset.name} (${dataset.rows} rows, ${dataset.features} features, ${dataset.classes} classes)` : config.dataset}
        </span>
      </div>
      <div className="toolbar-fields">
        <NumberField
          label="Epochs"
          testId="epochs-input"
          min={1}
          step={1}
          value={config.epochs}
          disabled={training}
          problem={problemOf('epochs')}
          onValueChange={(epochs) => run.getState().setConfig({ epochs })}
        />
        <NumberField
          label="Batch"
          testId="batch-size-input"
          min={1}
          step={1}
          value={config.batchSize}
          disabled={training}
          problem={problemOf('batchSize')}
          onValueChange={(batchSize) => run.getState().setConfig({ batchSize })}
        />
        <NumberField
          label="Learning rate"
          testId="learning-rate-input"
          min={0}
          step={0.01}
          value={config.learningRate}
          disabled={training}
          problem={problemOf('learningRate')}
          onValueChange={(learningRate) => run.getState().setConfig({ learningRate })}
        />
      </div>
      <div className="toolbar-spacer" />
      <span className="train-wrap" title={buttonTitle}>
        <button
          type="button"
          className={training ? 'button button-stop' : 'button button-primary'}
          data-testid="train-button"
          disabled={!training && !canTrain}
          aria-label={training ? 'Stop' : 'Train'}
          title={buttonTitle}
          onClick={() => void (training ? run.getState().stop() : run.getState().train())}
        >
          <span className="button-icon" aria-hidden="true">
            {training ? <span className="icon-stop" /> : <span className="icon-play" />}
          </span>
          {training ? 'Stop' : 'Train'}
        </button>
      </span>
      <StatusPill status={status} message={message} />
    </header>
  );
}
