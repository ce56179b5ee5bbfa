/** Entry point: mounts the app. (No StrictMode: its double mount would start two analysis workers.) */
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(<App />);
