// @vitest-environment node
// Every text of the Mini App exists in Russian and in English, and the api's refusals
// reach the user in their language by the error's code, never as the api's English.

import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api";
import {
  availabilityValues,
  errorCodeValues,
  photoFormatValues,
  reportReasonValues,
} from "../src/api/schema";
import { errorText } from "../src/errors";
import { dictionaries, translator, type MessageKey } from "../src/i18n";
import { UploadError } from "../src/upload";

const { en, ru } = dictionaries();
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
// Not Russian on purpose: "OK", a file's name and its error, and the language switch,
// which names the other language in that language.
const SAME = new Set(["common.ok", "form.uploadFailed", "app.language"]);

describe("every text in both languages", () => {
  it("has the same keys in Russian and English, none empty", () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of [...Object.entries(en), ...Object.entries(ru)]) {
      expect(text.trim(), key).not.toBe("");
    }
  });

  it("writes the Russian texts in Russian, with the same placeholders as the English", () => {
    const english = Object.keys(en).filter((key) => !SAME.has(key) && !/[а-яё]/i.test(ru[key]!));
    expect(english).toEqual([]);
    for (const key of Object.keys(en)) expect(placeholders(ru[key]!), key).toEqual(placeholders(en[key]!));
  });

  it("has a text for every error code, availability and report reason of the api", () => {
    const keys = [
      ...errorCodeValues.map((code) => `code.${code}`),
      ...availabilityValues.map((state) => `availability.${state}`),
      ...reportReasonValues.map((reason) => `report.${reason}`),
    ];
    for (const key of keys) {
      expect(en, key).toHaveProperty([key]);
      expect(ru, key).toHaveProperty([key]);
    }
  });
});

describe("the api's errors, by code", () => {
  const ru_t = translator("ru");
  const en_t = translator("en");

  it("says a refused photo in Russian, naming every format the api takes", () => {
    const error = new ApiError(
      422,
      "The file is not an image: upload a photo (JPEG, PNG, WebP, GIF)",
      "http",
      {},
      null,
      "photo_not_image",
      {
        formats: "JPEG, PNG, WebP, GIF",
      },
    );
    expect(errorText(error, ru_t)).toBe("Файл не изображение: загрузите фото (JPEG, PNG, WebP или GIF).");
    expect(errorText(error, en_t)).toBe("The file is not an image: upload a photo (JPEG, PNG, WebP or GIF).");
    for (const format of photoFormatValues) expect(errorText(error, ru_t)).toContain(format);
  });

  it("fills the code's params, a listing's status by its name", () => {
    const limit = new ApiError(409, "You have 10 active listings", "http", {}, null, "too_many_listings", {
      max: 10,
    });
    expect(errorText(limit, ru_t)).toContain("10 активных объявлений");
    const status = new ApiError(409, "…", "http", {}, null, "listing_not_renewable", { status: "archived" });
    expect(errorText(status, ru_t)).toBe("Объявление со статусом «В архиве» нельзя продлить.");
    const pixels = new ApiError(422, "…", "http", {}, null, "photo_too_many_pixels", { max: 40000000 });
    expect(errorText(pixels, ru_t, "ru")).toBe(
      "В изображении слишком много пикселей: не больше 40\u00a0000\u00a0000.",
    );
  });

  it("never shows the api's English sentence, with or without a code", () => {
    const english = "Something the api says in English";
    for (const status of [400, 403, 404, 409, 413, 422, 500, 502]) {
      expect(errorText(new ApiError(status, english), ru_t), String(status)).not.toContain(english);
      expect(errorText(new ApiError(status, english), ru_t)).toMatch(/[а-яё]/i);
    }
    expect(errorText(new ApiError(409, english, "http", {}, null, "no_such_code_yet"), ru_t)).toMatch(
      /[а-яё]/i,
    );
  });

  it("says an upload's failure by the local store's code, S3's code, or what happened", () => {
    const coded = new UploadError(413, "The photo is too large", "http", "photo_too_large", { mb: 5 });
    expect(errorText(coded, ru_t)).toBe("Фото больше 5 МБ.");
    expect(errorText(new UploadError(0, "Network error", "network"), ru_t)).toMatch(/соединение/);
    expect(errorText(new UploadError(500, "oops"), ru_t)).toBe("Загрузка не удалась (HTTP 500).");
  });

  it("has no key the code table lacks", () => {
    const t = translator("ru");
    for (const code of errorCodeValues) expect(t(`code.${code}` as MessageKey)).not.toBe(`code.${code}`);
  });
});
