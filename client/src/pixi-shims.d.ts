/** `pixi.js/unsafe-eval` is a side-effect module whose export map lists no types. */
declare module "pixi.js/unsafe-eval";
