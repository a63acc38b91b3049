import { render } from "solid-js/web";
import { App } from "./App.js";
import { applyTheme } from "./ui/theme.js";
import "./styles/app.css";

applyTheme();
const root = document.getElementById("app");
if (!root) throw new Error("index.html has no #app element");
render(() => <App />, root);
