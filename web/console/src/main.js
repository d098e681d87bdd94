import { createApp } from 'vue';
import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';
import App from './App.vue';
import router from './router.js';
import { t } from './i18n.js';
import { formatFen } from '../../common/money.js';
import './styles.css';

const app = createApp(App);
app.config.globalProperties.$t = t;
app.config.globalProperties.$fen = formatFen;
app.use(router).mount('#app');
