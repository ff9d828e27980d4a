import { createApp } from 'vue';
import urql from '@urql/vue';
import App from './App.vue';
import { router } from './router';
import { client } from './lib/client';
import { nameUnnamedPanels } from './lib/a11y';
import './styles.css';

createApp(App).use(router).use(urql, client).mount('#app');
nameUnnamedPanels();
