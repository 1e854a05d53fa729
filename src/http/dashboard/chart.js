// A tiny line chart on <canvas>: a fixed window of points per series, redrawn on push. No library: the
// dashboard must load from the hub alone, offline, and stay small.

const COLORS = ['#2f7ed8', '#e4572e', '#29a36a', '#8e5ad6'];

export class LineChart {
  constructor(canvas, series, { points = 60, unit = '' } = {}) {
    this.canvas = canvas;
    this.series = series.map((name) => ({ name, values: [] }));
    this.points = points;
    this.unit = unit;
  }

  push(values) {
    this.series.forEach((s, i) => {
      s.values.push(values[i] ?? 0);
      if (s.values.length > this.points) s.values.shift();
    });
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const hgt = c.clientHeight;
    if (c.width !== w * ratio) c.width = w * ratio;
    if (c.height !== hgt * ratio) c.height = hgt * ratio;
    const g = c.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const max = Math.max(1, ...this.series.flatMap((s) => s.values));
    const top = 18;
    const bottom = hgt - 4;
    const y = (v) => bottom - (v / max) * (bottom - top);
    const x = (i) => (i / (this.points - 1)) * (w - 2) + 1;
    g.strokeStyle = '#e3e7ee';
    g.lineWidth = 1;
    for (const f of [0, 0.5, 1]) {
      g.beginPath();
      g.moveTo(0, y(max * f));
      g.lineTo(w, y(max * f));
      g.stroke();
    }
    g.font = '11px system-ui, sans-serif';
    this.series.forEach((s, i) => {
      g.strokeStyle = COLORS[i % COLORS.length];
      g.lineWidth = 1.8;
      g.beginPath();
      const offset = this.points - s.values.length;
      s.values.forEach((v, j) => (j ? g.lineTo(x(j + offset), y(v)) : g.moveTo(x(j + offset), y(v))));
      g.stroke();
      const last = s.values.at(-1) ?? 0;
      g.fillStyle = COLORS[i % COLORS.length];
      g.fillText(`${s.name} ${last.toFixed(1)}${this.unit}`, 4 + i * 130, 12);
    });
    g.fillStyle = '#7a8599';
    g.textAlign = 'right';
    g.fillText(`max ${max.toFixed(1)}`, w - 4, 12);
    g.textAlign = 'left';
  }
}
