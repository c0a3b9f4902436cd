/** A layer an export format cannot express, and why, in the user's terms (every format's compatibility() lists these). */
export interface CompatibilityIssue {
  layerId: string;
  /** How the user knows the layer: "Dense 'fc1'". */
  layer: string;
  reason: string;
}
