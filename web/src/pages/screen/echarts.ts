// Only what the big screen draws: a pie on a canvas.
import { use, init, type ComposeOption } from 'echarts/core';
import { PieChart, type PieSeriesOption } from 'echarts/charts';
import { CanvasRenderer } from 'echarts/renderers';

use([PieChart, CanvasRenderer]);

export type ScreenChartOption = ComposeOption<PieSeriesOption>;
export { init };
