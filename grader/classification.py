"""The validation report of ``python -m grader train --validate``, from the student's own metrics.

    validation: 60 held-out points (20 %, stratified), accuracy 0.983
    class  precision  recall     f1  support
        0      1.000   0.950  0.974       20
    ...
"""
import warnings

from .fitting import VAL_FRACTION


def classification_report(impl, result):
    """Text: validation accuracy, per-class precision/recall/F1, their averages, the confusion matrix."""
    labels = impl.training.predict(result.model, result.X_val)
    y, n_classes = result.y_val, int(result.y.max()) + 1
    with warnings.catch_warnings():           # a class never predicted reads as 0 in the table
        warnings.simplefilter("ignore", RuntimeWarning)
        per_class = impl.metrics.precision_recall_f1(y, labels, n_classes)
        averages = {average: impl.metrics.precision_recall_f1(y, labels, n_classes, average=average)
                    for average in ("macro", "weighted")}
    matrix = impl.metrics.confusion_matrix(y, labels, n_classes)
    lines = [f"validation: {len(y)} held-out points ({VAL_FRACTION:.0%}, stratified), "
             f"accuracy {result.val_accuracy:.3f}",
             f"{'class':>8}  {'precision':>9}  {'recall':>6}  {'f1':>5}  {'support':>7}"]
    for c in range(n_classes):
        lines.append(f"{c:>8}  {per_class[0][c]:>9.3f}  {per_class[1][c]:>6.3f}  "
                     f"{per_class[2][c]:>5.3f}  {int((y == c).sum()):>7}")
    for average, (precision, recall, f1) in averages.items():
        lines.append(f"{average:>8}  {precision:>9.3f}  {recall:>6.3f}  {f1:>5.3f}  {len(y):>7}")
    lines.append("confusion matrix (rows: true class, columns: predicted):")
    lines += ["    " + " ".join(f"{int(count):>4}" for count in row) for row in matrix]
    return "\n".join(lines)
