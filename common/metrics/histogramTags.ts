/**
 * Which histograms hold gradients. Kiln writes the gradient of weight `dense/kernel` as
 * `dense/kernel_grad`: the suffix TF1 Keras's TensorBoard(write_grads=True) gave its gradient
 * histograms (`dense_1/kernel_0_grad`), so the weight and its gradient sit side by side in
 * TensorBoard's Histograms tab. Other writers' logdirs are read with the names their users tend
 * to give (`fc1.weight.grad` from PyTorch's SummaryWriter, `.../gradient`, `.../grads`).
 */

export const gradientTag = (weight: string): string => `${weight}_grad`;

export function isGradientTag(tag: string): boolean {
  return /[._/]grad(?:ient)?s?$/i.test(tag);
}
