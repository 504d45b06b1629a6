/**
 * The kernel helpers a design module receives in its context, so that a
 * design written outside this package (`--design ./my-design.js`) needs no
 * imports.
 */
import { NO_PAGE, pfnToOnlinePage54, pfnToOnlinePage619, pfnValid54, pfnValid619 } from '../model/lookup.js';
import { ZONE_DEVICE, ZONE_DMA, ZONE_DMA32, ZONE_MOVABLE, ZONE_NORMAL } from '../model/page-flags.js';
import { getDevPagemap } from '../model/pgmap.js';
import {
  earlySection,
  nrToSection,
  onlineDeviceSection,
  onlineSection,
  pfnSectionValid,
  presentSection,
  validSection,
} from '../model/sections.js';
import { step } from '../ops/step.js';
import { synchronizeRcuSteps } from '../rcu/memb.js';
import { bitmapStep, pageFlags, pageZone, testUsageBit } from './common.js';

export const kernelHelpers = {
  NO_PAGE,
  ZONE_DMA,
  ZONE_DMA32,
  ZONE_NORMAL,
  ZONE_MOVABLE,
  ZONE_DEVICE,
  nrToSection,
  presentSection,
  validSection,
  onlineSection,
  earlySection,
  onlineDeviceSection,
  pfnSectionValid,
  testUsageBit,
  pageFlags,
  pageZone,
  getDevPagemap,
  pfnValid54,
  pfnValid619,
  pfnToOnlinePage54,
  pfnToOnlinePage619,
  bitmapStep,
  synchronizeRcuSteps,
  step,
};

export type KernelHelpers = typeof kernelHelpers;
