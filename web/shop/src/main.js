import { createApp } from 'vue';
import 'vant/es/toast/style';
import 'vant/es/dialog/style';
import 'vant/es/image-preview/style';
import App from './App.vue';
import router from './router.js';
import { t } from './i18n.js';
import { formatFen } from '../../common/money.js';
import { localTime } from '../../common/time.js';
import './styles.css';

const app = createApp(App);
app.config.globalProperties.$t = t;
app.config.globalProperties.$fen = formatFen;
app.config.globalProperties.$time = localTime;
app.use(router).mount('#app');
