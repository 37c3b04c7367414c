// The README's AppModule with the exception filter registered the two other ways (the README's main.ts makes it with
// `new FaceServiceExceptionFilter()`): FILTER=adapter (the HTTP adapter as argument) or FILTER=app-filter (APP_FILTER).
import { Module } from "@nestjs/common";
import { APP_FILTER, HttpAdapterHost, NestFactory } from "@nestjs/core";
import { FaceServiceExceptionFilter } from "face-recognition-service-client/nestjs";
import { AppModule } from "./app.module.js";

@Module({ imports: [AppModule], providers: [{ provide: APP_FILTER, useClass: FaceServiceExceptionFilter }] })
class WithAppFilter {}

async function bootstrap(): Promise<void> {
  const how = process.env["FILTER"];
  const app = await NestFactory.create(how === "app-filter" ? WithAppFilter : AppModule);
  if (how === "adapter") app.useGlobalFilters(new FaceServiceExceptionFilter(app.get(HttpAdapterHost).httpAdapter));
  else if (how !== "app-filter") throw new Error(`FILTER=${how}: adapter or app-filter`);
  await app.listen(process.env["PORT"] ?? 3000);
}
void bootstrap();
