// The one place that loads ECharts. Only the pieces the reports use are registered, so the
// bundler drops the rest; the reports page imports this module dynamically, so no other route
// downloads chart code.
import { BarChart, FunnelChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

// SVG rather than canvas: crisp at any zoom, text stays text (CJK glyphs from the page's fonts).
use([LineChart, BarChart, FunnelChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, AriaComponent, SVGRenderer]);

export function createChart(element: HTMLElement, locale: 'zh-CN' | 'en') {
	return init(element, undefined, { renderer: 'svg', locale: locale === 'zh-CN' ? 'ZH' : 'EN' });
}
