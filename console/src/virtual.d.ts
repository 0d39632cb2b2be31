// The routes of src/server/openapi.json, made by the plugin in vite.config.ts.
declare module "virtual:api-routes" {
  export const routes: string[];
}
