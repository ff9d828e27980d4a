// Only what the big screen draws: a pie and the monthly trend (bars and a line) on a canvas.
import { use, init, type ComposeOption } from 'echarts/core';
import { BarChart, LineChart, PieChart, type BarSeriesOption, type LineSeriesOption, type PieSeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, type GridComponentOption, type LegendComponentOption } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([PieChart, BarChart, LineChart, GridComponent, LegendComponent, CanvasRenderer]);

export type ScreenChartOption = ComposeOption<PieSeriesOption | BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption>;
export { init };
